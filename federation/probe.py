"""Capability probing of peers: signed self-description, search API, OAI-PMH formats and sets, languages."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
from lxml import etree

from federation.fanout import tls_context
from federation.identity import IdentityError, NodeIdentity, async_request_signer, check_document
from federation.peers import Peer, get_peer, list_peers, now, record_probe
from federation.tables import Database
from harvesters.http import async_pinned_transport
from harvesters.netguard import OutboundGuard, UnsafeDestination, host_pin

logger = logging.getLogger(__name__)

WELL_KNOWN = "/.well-known/gkss-hub"
OAI_NS = "{http://www.openarchives.org/OAI/2.0/}"
MAX_SETS = 200
MAX_PROBE_BYTES = 4 * 2**20  # a self-description, a page of one result, OAI formats and (200) sets


class AnswerTooLarge(ValueError):
    """A peer's answer to a probe is larger than MAX_PROBE_BYTES."""


async def _get(client: httpx.AsyncClient, url: str, params: dict[str, Any] | None = None) -> bytes:
    """The body of a 2xx answer, read up to MAX_PROBE_BYTES (httpx errors for other statuses)."""
    async with client.stream("GET", url, params=params) as response:
        response.raise_for_status()
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_PROBE_BYTES:
                raise AnswerTooLarge(f"{url}: answer larger than {MAX_PROBE_BYTES} bytes")
        return bytes(body)


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


async def _oai(client: httpx.AsyncClient, url: str, verb: str) -> etree._Element:
    return etree.fromstring(await _get(client, url, {"verb": verb}), parser=_PARSER)


async def read_capabilities(client: httpx.AsyncClient, peer: Peer) -> tuple[dict[str, Any], dict[str, Any]]:
    """The peer's verified self-description and what it offers; IdentityError or httpx errors on failure."""
    document: dict[str, Any] = json.loads(await _get(client, peer.url + WELL_KNOWN))
    if document.get("id") != peer.id:
        raise IdentityError(
            f"peer at {peer.url} says it is {document.get('id')!r}, registered as {peer.id!r}"
        )
    check_document(document, peer.public_key)
    endpoints = document.get("endpoints", {})
    oai_url = peer.url + str(endpoints.get("oai", "/oai"))
    formats_root, sets_root = await asyncio.gather(
        _oai(client, oai_url, "ListMetadataFormats"), _oai(client, oai_url, "ListSets")
    )
    page = json.loads(await _get(client, peer.url + str(endpoints.get("search", "/api/search")), {"size": 1}))
    capabilities = {
        "search_api": document.get("capabilities", {}).get("search_api"),
        "federated_search": bool(document.get("capabilities", {}).get("federated_search")),
        "oai_formats": [
            (e.text or "").strip()
            for e in formats_root.iter(OAI_NS + "metadataPrefix")
            if (e.text or "").strip()
        ],
        "oai_sets": [(e.text or "").strip() for e in sets_root.iter(OAI_NS + "setSpec")][:MAX_SETS],
        "languages": sorted(page.get("facets", {}).get("language", {})),
        "records": page.get("total"),
        "endpoints": endpoints,
    }
    return document, capabilities


def _guard_hook(guard: OutboundGuard) -> Callable[[httpx.Request], Any]:
    async def hook(request: httpx.Request) -> None:
        await asyncio.to_thread(guard, str(request.url))

    return hook


async def probe_peer(
    store: Database,
    peer: Peer,
    identity: NodeIdentity | None,
    *,
    guard: OutboundGuard,
    timeout: float = 10.0,
) -> bool:
    """Probe one peer (signed as this hub) and record the outcome (a failure keeps the last known good).

    Every request passes the outbound guard first; no redirect is followed, each answer is capped at
    MAX_PROBE_BYTES and the whole probe at four times ``timeout``."""
    hooks: dict[str, list[Callable[[httpx.Request], Any]]] = {"request": [_guard_hook(guard)]}
    if identity:
        hooks["request"].append(async_request_signer(identity))
    try:
        async with httpx.AsyncClient(
            timeout=timeout,
            verify=tls_context(),
            event_hooks=hooks,
            follow_redirects=False,
            transport=async_pinned_transport(host_pin(guard), tls_context()),  # the checked addresses
        ) as client:
            document, capabilities = await asyncio.wait_for(read_capabilities(client, peer), 4 * timeout)
    except (
        httpx.HTTPError,
        IdentityError,
        UnsafeDestination,
        TimeoutError,
        ValueError,
        etree.XMLSyntaxError,
    ) as exc:
        reason = f"{type(exc).__name__}: {exc}"
        logger.warning("peer %s probe failed: %s", peer.id, reason)
        record_probe(store, peer.id, ok=False, reason=reason)
        return False
    record_probe(
        store,
        peer.id,
        ok=True,
        reason=None,
        capabilities=capabilities,
        public_key=str(document["public_key"]),
        name=str(document.get("name") or peer.id),
    )
    return True


async def probe_all(
    store: Database,
    identity: NodeIdentity | None,
    only: str | None = None,
    stale_after: float | None = None,
    *,
    guard: OutboundGuard,
) -> dict[str, bool]:
    """Probe every peer (or one; or only those not probed for ``stale_after`` seconds) concurrently."""
    peers = [get_peer(store, only)] if only else list_peers(store)
    stamp = now()
    due = [
        p
        for p in peers
        if p is not None
        and (
            stale_after is None or p.probed_at is None or (stamp - p.probed_at).total_seconds() >= stale_after
        )
    ]
    outcomes = await asyncio.gather(*(probe_peer(store, p, identity, guard=guard) for p in due))
    return {p.id: ok for p, ok in zip(due, outcomes, strict=True)}
