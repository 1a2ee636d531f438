"""The search filters every HTTP endpoint takes (/api/search, /feeds/*), declared once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import HTTPException, Query

from hub.results import BadSearchParameter, build_query
from hub.search.base import SearchQuery


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


def search_filters(
    q: Annotated[str | None, Query(description="Free text")] = None,
    source: Annotated[list[str] | None, Query(description="Source id (repeatable)")] = None,
    type: Annotated[list[str] | None, Query(description="Resource type (repeatable)")] = None,
    country: Annotated[list[str] | None, Query(description="ISO 3166-1 alpha-2 (repeatable)")] = None,
    target: Annotated[list[str] | None, Query(description="GBF target: 3 or GBF-TARGET-03")] = None,
    language: Annotated[list[str] | None, Query(description="Language tag (repeatable)")] = None,
    year: Annotated[list[int] | None, Query(description="Year (repeatable)")] = None,
) -> SearchFilters:
    """A FastAPI dependency reading the filters from the query string."""
    return SearchFilters(
        q=q,
        source=tuple(source or ()),
        type=tuple(type or ()),
        country=tuple(country or ()),
        target=tuple(target or ()),
        language=tuple(language or ()),
        year=tuple(year or ()),
    )


def query_of(filters: SearchFilters, *, sort: str, page: int, size: int) -> SearchQuery:
    """The SearchQuery for these filters; a parameter that cannot be understood is an HTTP 400."""
    try:
        return build_query(
            filters.q,
            source=filters.source,
            type=filters.type,
            country=filters.country,
            target=filters.target,
            language=filters.language,
            year=filters.year,
            sort=sort,
            page=page,
            size=size,
        )
    except BadSearchParameter as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
