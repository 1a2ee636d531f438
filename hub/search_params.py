"""The search filters every HTTP endpoint takes (/api/search, /feeds/*), declared once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import HTTPException, Query

from hub.results import BadSearchParameter, build_query
from hub.search.base import SearchQuery
from hub.store import Store
from hub.store.nodes import node_sources
from registry.nodes import NodeError


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Free text and exact filters as the request gave them."""

    q: str | None = None
    source: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    node: tuple[str, ...] = ()
    region: tuple[str, ...] = ()
    goal: tuple[str, ...] = ()
    indicator: tuple[str, ...] = ()
    date_from: str | None = None
    date_until: str | None = None


def search_filters(
    q: Annotated[str | None, Query(description="Free text")] = None,
    source: Annotated[list[str] | None, Query(description="Source id (repeatable)")] = None,
    type: Annotated[list[str] | None, Query(description="Resource type (repeatable)")] = None,
    country: Annotated[list[str] | None, Query(description="ISO 3166-1 alpha-2 (repeatable)")] = None,
    target: Annotated[list[str] | None, Query(description="GBF target: 3 or GBF-TARGET-03")] = None,
    language: Annotated[list[str] | None, Query(description="Language tag (repeatable)")] = None,
    year: Annotated[list[int] | None, Query(description="Year (repeatable)")] = None,
    node: Annotated[
        list[str] | None, Query(description="Node id: the sources of that node and the nodes below it")
    ] = None,
    region: Annotated[
        list[str] | None, Query(description="Region: M49 code, CBD group GUID or slug (repeatable)")
    ] = None,
    goal: Annotated[list[str] | None, Query(description="GBF goal: A or GBF-GOAL-A (repeatable)")] = None,
    indicator: Annotated[
        list[str] | None, Query(description="GBF indicator code, e.g. A.1 (repeatable)")
    ] = None,
    date_from: Annotated[str | None, Query(alias="from", description="Dated on or after, YYYY-MM-DD")] = None,
    date_until: Annotated[
        str | None, Query(alias="until", description="Dated on or before, YYYY-MM-DD")
    ] = None,
) -> SearchFilters:
    """A FastAPI dependency reading the filters from the query string."""
    return filters_from(
        q,
        date_from,
        date_until,
        source=source,
        type=type,
        country=country,
        target=target,
        language=language,
        year=year,
        node=node,
        region=region,
        goal=goal,
        indicator=indicator,
    )


def filters_from(
    q: str | None, date_from: str | None, date_until: str | None, **repeated: Sequence[Any] | None
) -> SearchFilters:
    """SearchFilters from optional lists (the HTTP query string's and the CLI's repeatable options)."""
    lists: dict[str, Any] = {name: tuple(values or ()) for name, values in repeated.items()}
    return SearchFilters(q=q, date_from=date_from, date_until=date_until, **lists)


def filters_query(
    filters: SearchFilters,
    *,
    sort: str = "relevance",
    page: int = 1,
    size: int = 10,
    store: Store | None = None,
) -> SearchQuery:
    """The SearchQuery for these filters, ``node`` resolved to its sources in ``store``; raises
    BadSearchParameter for a parameter that cannot be understood."""
    sources = filters.source
    if filters.node:
        if store is None:
            raise BadSearchParameter("node filters need the hub's store")
        try:
            sources = node_sources(store, filters.node, within=filters.source)
        except NodeError as exc:
            raise BadSearchParameter(str(exc)) from None
    return build_query(
        filters.q,
        source=sources,
        type=filters.type,
        country=filters.country,
        target=filters.target,
        language=filters.language,
        year=filters.year,
        region=filters.region,
        goal=filters.goal,
        indicator=filters.indicator,
        date_from=filters.date_from,
        date_until=filters.date_until,
        sort=sort,
        page=page,
        size=size,
    )


def filters_of_params(params: Mapping[str, list[str]]) -> SearchFilters:
    """The filters a feed URL's query string carries (``parse_qs`` form), as the endpoints read them."""
    years = params.get("year", [])
    if not all(y.isdigit() for y in years):
        raise BadSearchParameter("year must be a four-digit year")

    def many(name: str) -> tuple[str, ...]:
        return tuple(params.get(name, []))

    return SearchFilters(
        q=" ".join(params.get("q", [])) or None,
        source=many("source"),
        type=many("type"),
        country=many("country"),
        target=many("target"),
        language=many("language"),
        year=tuple(int(y) for y in years),
        node=many("node"),
        region=many("region"),
        goal=many("goal"),
        indicator=many("indicator"),
        date_from=next(iter(params.get("from", [])), None),
        date_until=next(iter(params.get("until", [])), None),
    )


def query_of(
    filters: SearchFilters, *, sort: str, page: int, size: int, store: Store | None = None
) -> SearchQuery:
    """``filters_query`` for an endpoint: a parameter that cannot be understood is an HTTP 400."""
    try:
        return filters_query(filters, sort=sort, page=page, size=size, store=store)
    except BadSearchParameter as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
