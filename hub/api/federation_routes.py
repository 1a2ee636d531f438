"""HTTP side of federation: signed self-description, admin API for peers, the federated search branch."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from federation.fanout import BUDGET_HEADER
from federation.identity import IdentityError, Route, caller_of, signed_document
from federation.peers import PeerError, add_peer, get_peer, known_keys, list_peers, remove_peer
from federation.probe import WELL_KNOWN
from harvesters.netguard import registration_refusal
from hub.admin.auth import check, done, principal_dependency
from hub.context import Hub
from hub.identity import identity_of
from hub.peer_probe import probe_peers
from hub.search.base import SearchQuery
from hub.search.federated import hub_federated_search
from hub.settings import Settings
from registry.rights import Principal

logger = logging.getLogger(__name__)
SEARCH_API_VERSION = "1"


def self_description(settings: Settings, base_url: str) -> dict[str, Any]:
    """The signed document peers read at ``/.well-known/gkss-hub``."""
    identity = identity_of(settings)
    document = {
        "id": identity.node_id,
        "name": settings.hub_name,
        "url": (settings.node_url or base_url).rstrip("/"),
        "software": "gkss-hub/0.1.0",
        "endpoints": {
            "self": WELL_KNOWN,
            "search": "/api/search",
            "resources": "/api/resources/{id}",
            "oai": "/oai",
        },
        "capabilities": {
            "search_api": SEARCH_API_VERSION,
            "federated_search": True,
            "oai_formats": ["oai_dc", "gkss"],
            "replication": "oai-pmh/gkss",
        },
        "public_key": identity.public_key,
        "key_type": "ed25519",
        "issued": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    return signed_document(identity, document)


class PeerIn(BaseModel):
    """A peer to register."""

    id: str
    url: str
    trust: str = "full"
    weight: float = Field(default=1.0, gt=0, le=100)
    public_key: str | None = None
    node: str | None = None


_probers: set[str] = set()
_probers_lock = threading.Lock()


def ensure_prober(hub: Hub) -> None:
    """Start (once per process and store) a thread probing peers every GKSS_FEDERATION_PROBE_SECONDS."""
    every = hub.settings.federation_probe_seconds
    with _probers_lock:
        if hub.store.url in _probers or every <= 0:
            return
        _probers.add(hub.store.url)

    def loop() -> None:
        stop = threading.Event()
        while not stop.wait(every):
            try:
                probe_peers(hub, stale_after=every)
            except Exception:  # the prober must outlive a bad round (closed store at shutdown included)
                logger.exception("peer probing round failed")

    threading.Thread(target=loop, name="gkss-peer-prober", daemon=True).start()


def search_branch(hub: Hub, query: SearchQuery, request: Request) -> dict[str, Any] | None:
    """The `/api/search?federated=true` answer: verify the calling hub if it says who it is, then fan out.

    None (answer with this hub's own results, as to any anonymous search) when a hub this hub does not
    know, or one whose signature does not verify, asks: one-way federation, no fan-out for it."""
    settings = hub.settings
    try:
        caller = caller_of(
            request.headers,
            "GET",
            request.url.query,
            known_keys(hub.store),
            settings.federation_signature_skew,
        )
    except IdentityError as exc:
        logger.info("federated search from an unverified hub answered locally: %s", exc)
        return None
    route, budget = Route(), None
    if caller is not None:  # a calling hub's remaining budget is honoured only when it signed
        route = caller[1]
        text = request.headers.get(BUDGET_HEADER, "")
        budget = int(text) if text.isdigit() and int(text) > 0 else None
    ensure_prober(hub)
    return asyncio.run(hub_federated_search(hub.store, settings, hub.index, query, route, budget_ms=budget))


def federation_router(current: Callable[[], Hub]) -> APIRouter:
    """Routes: ``/.well-known/gkss-hub`` and ``/api/admin/peers``."""
    router = APIRouter()

    authed = principal_dependency(current)

    @router.get(WELL_KNOWN, tags=["federation"])
    def well_known(request: Request) -> dict[str, Any]:
        """This hub's signed self-description (id, name, endpoints, capabilities, Ed25519 public key)."""
        return self_description(current().settings, str(request.base_url))

    admin = APIRouter(prefix="/api/admin/peers", tags=["federation"])

    def readable(hub: Hub, caller: Principal, peer_id: str, change: str | None = None) -> dict[str, Any]:
        """The peer, when the caller may read it, or make the ``change`` (an audited action) to it."""
        found = _peer_json(hub, peer_id)
        check(hub, caller, change or "peer.get", f"peer {peer_id}", found["node"], manage=change is not None)
        return found

    @admin.get("")
    def peers_list(caller: Principal = Depends(authed)) -> list[dict[str, Any]]:
        """The caller's nodes' peers with capabilities (last known good), probe status and breaker state."""
        return [p.as_json() for p in list_peers(current().store) if caller.can_read(p.node_id)]

    @admin.post("", status_code=201)
    def peers_add(peer: PeerIn, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Register a peer for a node the caller manages and probe it once (a peer that is down is
        registered all the same)."""
        hub = current()
        node = peer.node if peer.node is not None else caller.node_id
        check(hub, caller, "peer.add", f"peer {peer.id}", node, detail={"url": peer.url})
        refused = registration_refusal(peer.url, allow_private=hub.settings.allow_private_networks)
        if refused:
            raise HTTPException(status_code=400, detail=f"peer URL refused: {refused}")
        try:
            add_peer(
                hub.store,
                peer.id,
                peer.url,
                trust=peer.trust,
                weight=peer.weight,
                public_key=peer.public_key,
                node_id=node,
            )
        except PeerError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        done(hub, caller, "peer.add", f"peer {peer.id}", node, {"url": peer.url, "trust": peer.trust})
        probe_peers(hub, only=peer.id)
        return _peer_json(hub, peer.id)

    @admin.get("/{peer_id}")
    def peers_get(peer_id: str, caller: Principal = Depends(authed)) -> dict[str, Any]:
        return readable(current(), caller, peer_id)

    @admin.post("/{peer_id}/probe")
    def peers_probe(peer_id: str, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Probe a peer now."""
        hub = current()
        readable(hub, caller, peer_id, "peer.probe")
        probe_peers(hub, only=peer_id)
        return _peer_json(hub, peer_id)

    @admin.delete("/{peer_id}", status_code=204)
    def peers_remove(peer_id: str, caller: Principal = Depends(authed)) -> Response:
        hub = current()
        found = readable(hub, caller, peer_id, "peer.remove")
        remove_peer(hub.store, peer_id)
        done(hub, caller, "peer.remove", f"peer {peer_id}", found["node"])
        return Response(status_code=204)

    router.include_router(admin)
    return router


def _peer_json(hub: Hub, peer_id: str) -> dict[str, Any]:
    peer = get_peer(hub.store, peer_id)
    if peer is None:
        raise HTTPException(status_code=404, detail=f"no peer {peer_id!r}")
    return peer.as_json()
