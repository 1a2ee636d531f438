"""The documented search JSON the CLI and the HTTP API answer (parameters: normalizers/search_query.py)."""

from __future__ import annotations

import json
from typing import Any

import orjson

from hub.search.base import Hit, SearchPage, SearchQuery
from normalizers.resource import Resource
from normalizers.search_query import MAX_PAGE as MAX_PAGE
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
        "gbf_targets_inferred": resource.gbf_targets_inferred,
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
    """The documented search JSON: ``{"total", "results", "facets", "page", "size", "counts"}``."""
    return {
        "total": page.total,
        "page": query.offset // query.size + 1,
        "size": query.size,
        "results": [
            _with_highlights(result_json(hit.resource, hit.score), hit.highlights) for hit in page.hits
        ],
        "facets": page.facets,
        "counts": page.counts,
    }


def _result_bytes(hit: Hit) -> bytes:
    """One result as JSON: the card the index made when the record was indexed (then only the score and
    highlights are encoded here), else result_json's encoding."""
    card: bytes | None = getattr(hit, "card", None)
    if card is None or not card.endswith(b"}"):
        item = _with_highlights(result_json(hit.resource, hit.score), hit.highlights)
        return json.dumps(item, ensure_ascii=False).encode("utf-8")
    extra = {"score": round(hit.score, 4)}
    if hit.highlights:
        extra["highlights"] = hit.highlights  # type: ignore[assignment]
    return card[:-1] + b"," + orjson.dumps(extra)[1:]


def page_body(page: SearchPage, query: SearchQuery, **more: Any) -> bytes:
    """page_json (plus ``more`` keys, after the documented ones) as UTF-8 JSON, encoded in one pass:
    results the index keeps encoded are copied as they are."""
    head = json.dumps({"total": page.total, "page": query.offset // query.size + 1, "size": query.size})
    results = b",".join(_result_bytes(hit) for hit in page.hits)
    tail = orjson.dumps({"facets": page.facets, "counts": page.counts, **more})
    return head[:-1].encode("utf-8") + b', "results": [' + results + b"], " + tail[1:]
