"""The hub's federated search: its store, settings and index handed to federation's fan-out."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from federation.fanout import federated_search
from federation.identity import Route
from hub.identity import identity_of
from hub.search.base import SearchIndex, SearchQuery
from hub.search.results import page_json
from hub.settings import Settings
from hub.store import Store


async def hub_federated_search(
    store: Store,
    settings: Settings,
    index: SearchIndex,
    query: SearchQuery,
    incoming: Route = Route(),
    budget_ms: int | None = None,
    detail: bool = False,
) -> dict[str, Any]:
    """Search this hub and its peers (``federation.fanout.federated_search``) as this hub's identity;
    ``detail``: say why a peer failed (the command line and the admin API, never anonymous callers)."""

    def local_search(local: SearchQuery) -> dict[str, Any]:
        local = replace(local, counts="exact")  # merged totals add up counted figures only
        return page_json(index.search(local), local)

    return await federated_search(
        store,
        settings,
        local_search,
        identity_of(settings),
        query,
        incoming,
        budget_ms=budget_ms,
        detail=detail,
    )
