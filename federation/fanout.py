"""Federated search: the local index and every peer in parallel under one deadline, merged by RRF."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlencode

from federation import peer_client
from federation.identity import NodeIdentity, Route, signed_headers
from federation.merge import RankedList, fuse, sum_facets
from federation.peers import Peer, list_peers, record_call
from federation.tables import Database
from harvesters.netguard import OutboundGuard
from normalizers.search_query import SearchQuery, query_params

logger = logging.getLogger(__name__)

SEARCH_PATH = "/api/search"
SAFETY_MS = 15  # kept back from the budget for merging and answering
HOP_MARGIN_MS = 50  # a forwarded search gets what is left of the caller's budget minus this
BUDGET_HEADER = "x-gkss-budget-ms"
PUBLIC_REASONS = {
    "error": "the peer could not be searched",
    "timeout": "no answer within budget",
    "suspended": "suspended after repeated failures",
}
"""What a search answer says of a failed peer: never the network detail (see PeerOutcome.as_json)."""

# This hub's own search: the documented search JSON ({"total", "results", "facets", ...}) of a query.
LocalSearch = Callable[[SearchQuery], dict[str, Any]]


class FanoutSettings(Protocol):
    """The settings a fan-out reads (the hub's Settings has them)."""

    @property
    def federation_budget_ms(self) -> int: ...
    @property
    def federation_max_hops(self) -> int: ...
    @property
    def federation_breaker_failures(self) -> int: ...
    @property
    def federation_breaker_cooldown(self) -> float: ...
    def outbound_guard(self) -> OutboundGuard: ...


@cache
def _local_pool() -> ThreadPoolExecutor:
    """Threads for the local search, outside the event loop's own executor, which ``asyncio.run`` waits
    for: a local search slower than the budget must not hold the answer back."""
    return ThreadPoolExecutor(max_workers=8, thread_name_prefix="gkss-fed-local")


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: building it costs ~30 ms, far more than a local peer's answer."""
    return ssl.create_default_context()


@dataclass(slots=True)
class PeerOutcome:
    """How one peer answered (or did not)."""

    id: str
    status: str  # ok, timeout, error, suspended, skipped
    count: int = 0
    total: int = 0
    took_ms: int = 0
    reason: str | None = None
    results: list[dict[str, Any]] | None = None
    facets: dict[str, dict[str, int]] | None = None

    def as_json(self, detail: bool = False) -> dict[str, Any]:
        """The outcome as the answer lists it; the reason of a failure (which names network detail: a
        refused address, a closed port) only with ``detail`` (the operator's command line; the admin
        API shows it as the peer's status and breaker reason)."""
        item: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "count": self.count,
            "took_ms": self.took_ms,
        }
        if self.status == "ok":
            item["total"] = self.total
        if self.reason and (detail or self.status == "skipped"):
            item["reason"] = self.reason
        elif self.status in PUBLIC_REASONS:
            item["reason"] = PUBLIC_REASONS[self.status]
        return item


def peer_params(query: SearchQuery, forward: bool) -> list[tuple[str, str]]:
    """The /api/search parameters asking a peer for the top ``offset + size`` results of the same query:
    its text and every declared filter (``query_params``), then sort and size."""
    params = query_params(query)
    params += [("sort", query.sort), ("size", str(min(100, query.offset + query.size))), ("page", "1")]
    if forward:
        params.append(("federated", "true"))
    return params


async def _ask(
    identity: NodeIdentity,
    peer: Peer,
    params: list[tuple[str, str]],
    route: Route,
    budget_ms: int,
    guard: OutboundGuard,
) -> PeerOutcome:
    started = time.monotonic()
    target = urlencode(params)
    headers = signed_headers(identity, "GET", target, route)
    headers[BUDGET_HEADER] = str(max(1, budget_ms - HOP_MARGIN_MS))
    try:
        answer = await peer_client.get(
            f"{peer.url}{SEARCH_PATH}?{target}", headers, tls_context(), guard=guard
        )
        took = int((time.monotonic() - started) * 1000)
        if answer.status != 200:
            return PeerOutcome(peer.id, "error", took_ms=took, reason=f"HTTP {answer.status}")
        data = json.loads(answer.body)
        results = list(data.get("results", []))
        return PeerOutcome(
            peer.id,
            "ok",
            len(results),
            int(data.get("total", len(results))),
            took,
            None,
            results,
            dict(data.get("facets", {})),
        )
    except (peer_client.PeerHttpError, ValueError, AttributeError, TypeError) as exc:
        took = int((time.monotonic() - started) * 1000)
        return PeerOutcome(peer.id, "error", took_ms=took, reason=f"{type(exc).__name__}: {exc}".strip())


def _route_onwards(identity: NodeIdentity, incoming: Route, peers: list[Peer]) -> Route:
    visited = dict.fromkeys((*incoming.visited, identity.node_id, *(p.id for p in peers)))
    return Route(incoming.hops + 1, tuple(visited))


async def federated_search(
    store: Database,
    settings: FanoutSettings,
    local_search: LocalSearch,
    identity: NodeIdentity,
    query: SearchQuery,
    incoming: Route = Route(),
    peers: list[Peer] | None = None,
    budget_ms: int | None = None,
    detail: bool = False,
) -> dict[str, Any]:
    """Search here and at every eligible peer within GKSS_FEDERATION_BUDGET_MS (or the smaller budget a
    calling hub passed on); answer with what arrived. ``store`` holds the peers and their breakers;
    ``local_search`` searches this hub. Why a peer failed is told only with ``detail``."""
    started = time.monotonic()
    budget_ms = min(settings.federation_budget_ms, budget_ms or settings.federation_budget_ms)
    budget = budget_ms / 1000
    at = datetime.now(UTC)
    candidates = [p for p in (list_peers(store) if peers is None else peers) if p.trust in ("full", "search")]
    outcomes: dict[str, PeerOutcome] = {}
    callable_peers: list[Peer] = []
    for peer in candidates:
        if peer.id in incoming.visited or peer.id == identity.node_id:
            outcomes[peer.id] = PeerOutcome(peer.id, "skipped", reason="already asked on this route")
        elif incoming.hops >= settings.federation_max_hops:
            outcomes[peer.id] = PeerOutcome(peer.id, "skipped", reason="hop limit reached")
        elif peer.suspended(at):
            outcomes[peer.id] = PeerOutcome(peer.id, "suspended", reason=peer.breaker_reason)
        else:
            callable_peers.append(peer)
    route = _route_onwards(identity, incoming, candidates)
    forward = route.hops < settings.federation_max_hops
    params = peer_params(query, forward)
    local_query = SearchQuery(**{**_fields(query), "offset": 0, "size": min(100, query.offset + query.size)})
    remaining = max(0.0, budget - (time.monotonic() - started) - SAFETY_MS / 1000)
    loop = asyncio.get_running_loop()
    local_task: asyncio.Future[Any]
    if callable_peers:
        local_task = loop.run_in_executor(_local_pool(), _timed, local_search, local_query)
    else:  # nothing to wait for but the local search (a forwarded search at the end of its route)
        local_task = loop.create_future()
        try:
            local_task.set_result(_timed(local_search, local_query))
        except Exception as exc:  # reported as the local status "error", as from the executor
            local_task.set_exception(exc)
    budget_left = int(remaining * 1000)
    guard = settings.outbound_guard()
    tasks = {
        asyncio.ensure_future(_ask(identity, p, params, route, budget_left, guard)): p for p in callable_peers
    }
    done, pending = await asyncio.wait([local_task, *tasks], timeout=remaining)
    for task in pending:
        if task is not local_task:
            task.cancel()
    waited = int((time.monotonic() - started) * 1000)
    for task, peer in tasks.items():
        if task in done:
            outcomes[peer.id] = task.result()
        else:
            outcomes[peer.id] = PeerOutcome(
                peer.id, "timeout", took_ms=waited, reason="no answer within budget"
            )
    changed = [(p.id, outcomes[p.id]) for p in callable_peers if outcomes[p.id].status != "ok" or p.failures]
    if changed:
        await asyncio.to_thread(_record_calls, store, settings, changed)
    lists: list[RankedList] = []
    local: dict[str, Any] = {"id": identity.node_id, "status": "timeout", "count": 0}
    if local_task in done and local_task.exception() is None:
        local_page = local_task.result()
        local = {
            "id": identity.node_id,
            "status": "ok",
            "count": len(local_page["results"]),
            "total": local_page["total"],
            "took_ms": local_page.pop("_took_ms"),
        }
        lists.append(RankedList(identity.node_id, local_page["results"], 1.0, local_page["facets"]))
    elif local_task in done:
        failure = local_task.exception()
        logger.warning("local part of a federated search failed: %s", failure)
        reason = str(failure) if detail else "the local search failed"
        local = {"id": identity.node_id, "status": "error", "count": 0, "reason": reason}
    weights = {p.id: p.weight for p in candidates}
    for outcome in outcomes.values():
        if outcome.status == "ok" and outcome.results is not None:
            lists.append(
                RankedList(outcome.id, outcome.results, weights.get(outcome.id, 1.0), outcome.facets or {})
            )
    merge_started = time.monotonic()
    fused = fuse(lists)
    facets = sum_facets(lists)
    merge_ms = (time.monotonic() - merge_started) * 1000
    totals = [int(local.get("total", 0))] + [o.total for o in outcomes.values() if o.status == "ok"]
    return {
        "total": sum(totals),
        "page": query.offset // query.size + 1,
        "size": query.size,
        "results": fused[query.offset : query.offset + query.size],
        "facets": facets,
        "counts": "exact",  # the local part and the peers (never asked to estimate) count exactly
        "federated": True,
        "merged": len(fused),
        "local": local,
        "peers": [outcomes[p.id].as_json(detail) for p in candidates],
        "budget_ms": budget_ms,
        "took_ms": int((time.monotonic() - started) * 1000),
        "merge_ms": round(merge_ms, 3),
    }


def _record_calls(store: Database, settings: FanoutSettings, changed: list[tuple[str, PeerOutcome]]) -> None:
    """Breaker bookkeeping, only for peers whose state moves (a healthy peer costs no write)."""
    for peer_id, outcome in changed:
        record_call(
            store,
            peer_id,
            ok=outcome.status == "ok",
            reason=f"{outcome.status}: {outcome.reason}",
            threshold=settings.federation_breaker_failures,
            cooldown=settings.federation_breaker_cooldown,
        )


def _fields(query: SearchQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__dataclass_fields__}


def _timed(local_search: LocalSearch, query: SearchQuery) -> dict[str, Any]:
    started = time.monotonic()
    data = local_search(query)
    data["_took_ms"] = int((time.monotonic() - started) * 1000)
    return data
