"""The documented search JSON the CLI and the HTTP API answer (parameters: normalizers/search_query.py)."""

from __future__ import annotations

from typing import Any

from hub.search.base import SearchPage, SearchQuery
from normalizers.resource import Resource
from normalizers.search_query import BadSearchParameter as BadSearchParameter


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
