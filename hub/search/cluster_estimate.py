"""Estimated counts on the cluster engines (``SearchQuery.counts == "estimate"``), the same on both.

A search with words that asks for estimated counts sends one ``_msearch`` of two requests:

- the page, its total counted only up to ``ESTIMATE_ABOVE`` (``track_total_hits``), so the engine may
  skip the matches that cannot reach the page. A relevance page is sorted by score alone (a tie-breaker
  after the score stops that skipping) and asked ``SCORE_MARGIN`` hits wider on each side, with each
  hit's ``sort_time``; the window is put in the tie-broken order (``window_order``) and the page cut
  from it, which is the tie-broken page whenever each score group at the page's edges lies whole in
  the window; otherwise (``tied_at_edges``) the page is asked again with the tie-breaker. The page's
  hits carry the sort key the cursor reads (``full_sort_key``);
- the total and facets of the documents in ``SAMPLE_PERCENT`` of the sample buckets
  (``hub.search.cluster_mapping.sample_bucket``: a hash of the id), ``size: 0``.

Under the bound the page's total is exact, and one more request counts the facets exactly (few
matches: cheap; ``ClusterSearch.capped_beside`` asks them beside the page instead, cut at the bound
with ``terminate_after``); above it, the total and facets are the sample's counts scaled up
(``scaled``), and the answer says ``counts: "estimated"``.
"""

from __future__ import annotations

from typing import Any

from hub.search.base import Hit
from hub.search.cluster_mapping import SAMPLE_BUCKETS, SAMPLE_FIELD
from normalizers.search_query import moment_number, sort_moment

ESTIMATE_ABOVE = 10_000  # totals are counted exactly up to here; above, estimated from the sample
SAMPLE_PERCENT = 5  # the share of the sample buckets estimated counts read
SCORE_MARGIN = 5  # hits asked beside the page on each side, to see whether a score ties across its edges
MISSING_TIME = -(2**63)  # the sort value the engines give an undated document (sort_time, desc, _last)


def sample_filter(percent: int) -> dict[str, Any]:
    """The documents of the first ``percent`` % of the sample buckets."""
    buckets = max(1, min(SAMPLE_BUCKETS, percent * SAMPLE_BUCKETS // 100))
    return {"terms": {SAMPLE_FIELD: [str(b) for b in range(buckets)]}}


def sampled_counts(dsl: dict[str, Any], aggs: dict[str, Any], percent: int) -> dict[str, Any]:
    """The request counting the query's matches (and ``aggs``) in the sample."""
    query = {"bool": {"filter": [dsl, sample_filter(percent)]}}
    return {"query": query, "size": 0, "track_total_hits": True, **aggs}


def scaled(count: int, percent: int) -> int:
    """A count in the sample, scaled up to the whole index."""
    return round(count * 100 / percent)


def scaled_facets(aggregations: dict[str, Any], percent: int) -> dict[str, Any]:
    """The sample's facet buckets with their counts scaled up (the answer's shape kept)."""
    out: dict[str, Any] = {}
    for name, agg in aggregations.items():
        buckets = [{**b, "doc_count": scaled(int(b["doc_count"]), percent)} for b in agg.get("buckets", [])]
        out[name] = {**agg, "buckets": buckets}
    return out


def window_of(offset: int, size: int, margin: int = SCORE_MARGIN) -> tuple[int, int, int]:
    """The score-sorted request for the page at ``offset``: (from, size, lead), up to ``margin`` hits
    more on each side of the page (``lead`` hits before it: fewer near the first page)."""
    lead = min(margin, offset)
    return offset - lead, size + lead + margin, lead


def tied_at_edges(hits: list[dict[str, Any]], lead: int, size: int, start: int = 1, asked: int = 0) -> bool:
    """Whether the hits of a score tied at an edge of the page may reach past the score-sorted window
    (``start``: its first position; ``asked``: its size, default the page and one hit after it). Then
    which of them belong on the page is the tie-breaker's to say, and only the engine knows them all. A
    score group is whole in the window when a hit of another score, or the first or the last match, lies
    between it and the window's edge."""
    scores = [hit.get("_score") for hit in hits]
    if len(scores) <= lead:  # an empty page
        return False
    before = start > 0 and lead > 0 and scores[0] == scores[lead]
    ended = len(scores) < (asked or lead + size + 1)  # the window holds the last match
    after = not ended and scores[-1] == scores[min(lead + size, len(scores)) - 1]
    return before or after


def window_order(hits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A score-sorted window's hits in the tie-broken relevance order (score, publication moment, id),
    read from the ``sort_time`` doc value the window asks (``docvalue_fields``)."""

    def key(hit: dict[str, Any]) -> tuple[float, int, str]:
        moment = (hit.get("fields", {}).get("sort_time") or [MISSING_TIME])[0]
        return (-float(hit["_score"]), -int(moment), str(hit["_id"]))

    return sorted(hits, key=key)


def full_sort_key(hit: Hit) -> tuple[Any, ...]:
    """The sort key the tie-broken relevance order (score, publication moment, id) gives ``hit``."""
    moment = sort_moment(hit.resource)
    return (hit.score, moment_number(moment) if moment else MISSING_TIME, hit.id)


def in_full_order(hits: list[Hit]) -> list[Hit]:
    """The page's hits, scored by the engine, in the tie-broken order with its sort keys."""
    keyed = [(full_sort_key(hit), hit) for hit in hits]
    keyed.sort(key=lambda pair: (-pair[0][0], -pair[0][1], pair[0][2]))
    return [
        Hit(id=h.id, score=h.score, resource=h.resource, highlights=h.highlights, sort_key=key)
        for key, h in keyed
    ]
