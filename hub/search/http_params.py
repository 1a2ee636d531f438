"""The search filters as HTTP parameters: the FastAPI dependency every endpoint that searches takes
(/api/search, /feeds/*, the portal), its signature generated from the filters' one declaration."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import HTTPException, Query

from hub.search.params import (
    NODE_HELP,
    Q_HELP,
    SearchFilters,
    as_given_type,
    filter_parameters,
    filters_from,
    filters_query,
)
from hub.store import Store
from normalizers.search_query import BadSearchParameter, SearchQuery


async def search_filters(**given: Any) -> SearchFilters:
    """A FastAPI dependency reading the filters from the query string (its signature is generated;
    async: run on the event loop, no worker thread for parsing)."""
    return filters_from(given.pop("q", None), node=given.pop("node", None), **given)


_http = [
    inspect.Parameter(
        "q", inspect.Parameter.KEYWORD_ONLY, default=Query(None, description=Q_HELP), annotation=str | None
    ),
    *filter_parameters(Query, alias=True),
    inspect.Parameter(
        "node",
        inspect.Parameter.KEYWORD_ONLY,
        default=Query(None, description=NODE_HELP),
        annotation=as_given_type(str, True),
    ),
]
search_filters.__signature__ = inspect.Signature(_http, return_annotation=SearchFilters)  # type: ignore[attr-defined]
search_filters.__annotations__ = {p.name: p.annotation for p in _http} | {"return": SearchFilters}


def query_of(
    filters: SearchFilters,
    *,
    sort: str,
    page: int,
    size: int,
    counts: str = "exact",
    store: Store | None = None,
) -> SearchQuery:
    """``filters_query`` for an endpoint: a parameter that cannot be understood is an HTTP 400."""
    try:
        return filters_query(filters, sort=sort, page=page, size=size, counts=counts, store=store)
    except BadSearchParameter as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
