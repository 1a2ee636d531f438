"""One search surface for the CLI and the HTTP API: parameters in, the documented JSON out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from hub.search.base import SearchPage, SearchQuery
from normalizers.resource import Resource
from normalizers.vocabularies.gbf import target_id


class BadSearchParameter(ValueError):
    """A search parameter cannot be understood."""


def build_query(
    text: str | None = None,
    *,
    source: Sequence[str] = (),
    type: Sequence[str] = (),
    country: Sequence[str] = (),
    target: Sequence[str] = (),
    language: Sequence[str] = (),
    year: Sequence[int] = (),
    sort: str = "relevance",
    page: int = 1,
    size: int = 10,
) -> SearchQuery:
    """Validate user parameters into a SearchQuery (targets as ``3`` or ``GBF-TARGET-03``)."""
    targets = []
    for value in target:
        identifier = target_id(value)
        if identifier is None:
            raise BadSearchParameter(f"unknown GBF target {value!r}: use 1-23 or GBF-TARGET-NN")
        targets.append(identifier)
    if sort not in ("relevance", "date"):
        raise BadSearchParameter("sort must be 'relevance' or 'date'")
    if not 1 <= size <= 100:
        raise BadSearchParameter("size must be between 1 and 100")
    if page < 1:
        raise BadSearchParameter("page must be 1 or more")
    sort_value: Literal["relevance", "date"] = "date" if sort == "date" else "relevance"
    return SearchQuery(
        text=(text or "").strip(),
        source=tuple(source),
        type=tuple(type),
        country=tuple(c.upper() for c in country),
        target=tuple(targets),
        language=tuple(language),
        year=tuple(year),
        sort=sort_value,
        offset=(page - 1) * size,
        size=size,
    )


def result_json(resource: Resource, score: float | None = None) -> dict[str, Any]:
    """One result: display title, URL, source, type, date and the vocabulary fields."""
    item: dict[str, Any] = {
        "id": resource.id,
        "title": resource.display_title(),
        "url": resource.url,
        "source": resource.source,
        "type": resource.type,
        "date": resource.display_date(),
        "description": resource.description.get("en") or next(iter(resource.description.values()), None),
        "languages": resource.languages,
        "countries": resource.countries,
        "gbf_targets": resource.gbf_targets,
        "provenance": resource.provenance.model_dump(mode="json"),
    }
    if score is not None:
        item["score"] = round(score, 4)
    return item


def _with_highlights(result: dict[str, Any], highlights: dict[str, list[str]]) -> dict[str, Any]:
    """``highlights`` (field -> fragments, matched words in <em>, other text HTML-escaped) when any."""
    if highlights:
        result["highlights"] = highlights
    return result


def page_json(page: SearchPage, query: SearchQuery) -> dict[str, Any]:
    """The documented search JSON: ``{"total", "results", "facets", "page", "size"}``."""
    return {
        "total": page.total,
        "page": query.offset // query.size + 1,
        "size": query.size,
        "results": [
            _with_highlights(result_json(hit.resource, hit.score), hit.highlights) for hit in page.hits
        ],
        "facets": page.facets,
    }
