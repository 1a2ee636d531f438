"""One search surface for the CLI and the HTTP API: parameters in, the documented JSON out."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Literal

from hub.search.base import Hit, SearchPage, SearchQuery
from normalizers.resource import Resource
from normalizers.vocabularies.gbf import goal_id, target_id
from normalizers.vocabularies.indicators import indicator_id
from normalizers.vocabularies.regions import region_id

MAX_PAGE = 100_000
"""The deepest page a search or feed serves by number (``cursor`` pages on past it)."""


class BadSearchParameter(ValueError):
    """A search parameter cannot be understood."""


# issue 19: which targets a target filter matches (SearchQuery.target, target_inferred, target_any)
TARGET_BASES: tuple[str, ...] = ("stated", "inferred", "any")


def build_query(
    text: str | None = None,
    *,
    source: Sequence[str] = (),
    type: Sequence[str] = (),
    country: Sequence[str] = (),
    target: Sequence[str] = (),
    language: Sequence[str] = (),
    year: Sequence[int] = (),
    region: Sequence[str] = (),
    goal: Sequence[str] = (),
    indicator: Sequence[str] = (),
    target_basis: str | None = None,
    date_from: str | None = None,
    date_until: str | None = None,
    sort: str = "relevance",
    page: int = 1,
    size: int = 10,
) -> SearchQuery:
    """Validate user parameters into a SearchQuery (targets as ``3`` or ``GBF-TARGET-03``, regions as
    M49 codes, CBD group GUIDs or slugs, goals as ``A`` or ``GBF-GOAL-A``, indicators by code).
    ``target_basis`` says which targets ``target`` matches: ``stated`` (the default), ``inferred``
    or ``any``."""
    targets = _known(target, target_id, "GBF target", "1-23 or GBF-TARGET-NN")
    basis = target_basis or "stated"
    if basis not in TARGET_BASES:
        raise BadSearchParameter("target_basis must be 'stated', 'inferred' or 'any'")
    regions = _known(
        region, region_id, "region", "an M49 code, a CBD group GUID or a slug like eastern-africa"
    )
    goals = _known(goal, goal_id, "GBF goal", "A-D or GBF-GOAL-A")
    indicators = _known(indicator, indicator_id, "GBF indicator", "a code such as A.1 or 1.b")
    low, high = _day(date_from, "from"), _day(date_until, "until")
    if low and high and low > high:
        raise BadSearchParameter("from must not be after until")
    if sort not in ("relevance", "date"):
        raise BadSearchParameter("sort must be 'relevance' or 'date'")
    if not 1 <= size <= 100:
        raise BadSearchParameter("size must be between 1 and 100")
    if not 1 <= page <= MAX_PAGE:
        raise BadSearchParameter(f"page must be between 1 and {MAX_PAGE} (deeper: follow next_cursor)")
    sort_value: Literal["relevance", "date"] = "date" if sort == "date" else "relevance"
    return SearchQuery(
        text=(text or "").strip(),
        source=tuple(source),
        type=tuple(type),
        country=tuple(c.upper() for c in country),
        target=targets if basis == "stated" else (),
        target_inferred=targets if basis == "inferred" else (),
        target_any=targets if basis == "any" else (),
        language=tuple(language),
        year=tuple(year),
        region=regions,
        goal=goals,
        indicator=indicators,
        date_from=low,
        date_until=high,
        sort=sort_value,
        offset=(page - 1) * size,
        size=size,
    )


def _known(
    values: Sequence[str], canonical: Callable[[str], str | None], what: str, forms: str
) -> tuple[str, ...]:
    found = []
    for value in values:
        identifier = canonical(value)
        if identifier is None:
            raise BadSearchParameter(f"unknown {what} {value!r}: use {forms}")
        found.append(identifier)
    return tuple(dict.fromkeys(found))


def _day(value: str | None, name: str) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadSearchParameter(f"{name} must be a date, YYYY-MM-DD") from None


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
    return card[:-1] + b"," + json.dumps(extra, ensure_ascii=False).encode("utf-8")[1:]


def page_body(page: SearchPage, query: SearchQuery, **more: Any) -> bytes:
    """page_json (plus ``more`` keys, after the documented ones) as UTF-8 JSON, encoded in one pass:
    results the index keeps encoded are copied as they are."""
    head = json.dumps({"total": page.total, "page": query.offset // query.size + 1, "size": query.size})
    results = b",".join(_result_bytes(hit) for hit in page.hits)
    tail = json.dumps({"facets": page.facets, **more}, ensure_ascii=False).encode("utf-8")
    return head[:-1].encode("utf-8") + b', "results": [' + results + b"], " + tail[1:]
