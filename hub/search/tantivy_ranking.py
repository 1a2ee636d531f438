"""Tantivy's answers in the hub's terms: hits ranked with the hub's tie order, totals, facets, lazy hits."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

import tantivy

from hub.search.base import FACET_FIELDS, Hit
from normalizers.resource import Resource

Facets = dict[str, dict[str, int]]
Ranked = list[tuple[float, str, tantivy.DocAddress]]  # (score, order key or "" when not read, address)
_KEY, _COUNT, _PAIR = itemgetter("key"), itemgetter("doc_count"), itemgetter("key", "doc_count")


def counted(result: tantivy.SearchResult) -> int:
    """A search's total (its stub omits ``count``)."""
    return int(result.count or 0)  # type: ignore[attr-defined]


def facet_dict(aggregated: dict[str, Any]) -> Facets:
    """An aggregation's buckets as {field: {value: count}}, most first then by value; every field present."""
    found: Facets = {}
    for field in FACET_FIELDS:
        ordered = sorted(aggregated.get(field, {}).get("buckets", []), key=_KEY)
        ordered.sort(key=_COUNT, reverse=True)  # stable: equal counts stay in value order
        found[field] = dict(map(_PAIR, ordered))
    return found


def order_of(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> str:
    """A document's order key (date, then id: see tantivy_schema.order_key)."""
    value = searcher.doc(address).get_first("order")
    return str(value) if value is not None else ""


def _tied(searcher: tantivy.Searcher, group: list[tuple[float, tantivy.DocAddress]], need: int) -> Ranked:
    """Hits of one score in the hub's order (date newest first, then id), exact for the first ``need``:
    dates come from the moment column, and ids are read only for hits sharing a moment there."""
    score = group[0][0]
    days = searcher.fast_field_values("moment", [address for _, address in group])
    by_day = sorted(zip(days, (address for _, address in group), strict=True), key=lambda p: -(p[0] or 0))
    ordered: Ranked = []
    start = 0
    while start < len(by_day):
        end = start + 1
        while end < len(by_day) and by_day[end][0] == by_day[start][0]:
            end += 1
        same_day = [address for _, address in by_day[start:end]]
        if len(ordered) < need and len(same_day) > 1:
            keyed = sorted(((order_of(searcher, a), a) for a in same_day), key=lambda k: k[0], reverse=True)
            ordered.extend((score, key, address) for key, address in keyed)
        else:
            ordered.extend((score, "", address) for address in same_day)
        start = end
    return ordered


def ranked(searcher: tantivy.Searcher, query: tantivy.Query, want: int) -> tuple[int, Ranked]:
    """The total and the first ``want`` hits by score, ties by date then id (read for tied hits only)."""
    if want <= 0:
        return counted(searcher.search(query, 1, count=True)), []
    limit = want + 1
    while True:
        result = searcher.search(query, limit, count=True)
        hits: list[tuple[float, tantivy.DocAddress]] = result.hits
        if len(hits) < limit or hits[want - 1][0] != hits[-1][0]:
            break
        limit *= 2
    scores = [score for score, _ in hits]
    ordered: Ranked = []
    start = 0
    while start < min(want, len(hits)):
        end = start + 1
        while end < len(hits) and scores[end] == scores[start]:
            end += 1
        group = hits[start:end]
        if len(group) == 1:
            ordered.append((group[0][0], "", group[0][1]))
        else:
            ordered.extend(_tied(searcher, group, want - len(ordered)))
        start = end
    return counted(result), ordered[:want]


_RESOURCE = Hit.__dict__["resource"]  # the slot StoredHit keeps the parsed Resource in


class StoredHit(Hit):
    """A Hit whose Resource is parsed from the index's stored document only when asked for (a results
    page is built from ``card``, the result JSON made when the record was indexed)."""

    __slots__ = ("_doc", "card")
    _doc: tantivy.Document
    card: bytes

    def __init__(
        self,
        id: str,
        score: float,
        doc: tantivy.Document,
        highlights: dict[str, list[str]],
        sort_key: tuple[Any, ...],
        card: bytes,
    ) -> None:
        object.__setattr__(self, "_doc", doc)
        object.__setattr__(self, "card", card)
        super().__init__(id, score, None, highlights, sort_key)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def resource(self) -> Resource:
        found = _RESOURCE.__get__(self)
        if found is None:
            found = Resource.model_validate_json(bytes(self._doc.get_first("resource") or b""))
            _RESOURCE.__set__(self, found)
        return found  # type: ignore[no-any-return]

    @resource.setter
    def resource(self, value: Resource | None) -> None:
        _RESOURCE.__set__(self, value)
