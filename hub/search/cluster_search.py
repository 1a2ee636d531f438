"""Reading a cluster index through its alias: search pages (deep ones with search_after, never scroll),
title suggestions, documents, content hashes, ids.

``ClusterSearch`` is a part of ``hub.search.cluster.ClusterIndex``; the engine's client performs the
read primitives declared here (``hub.search.elastic``, ``hub.search.opensearch``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from hub.search.base import FACET_FIELDS, Hit, SearchPage, SearchQuery
from hub.search.cluster_estimate import (
    ESTIMATE_ABOVE,
    SAMPLE_PERCENT,
    SCORE_MARGIN,
    in_full_order,
    sampled_counts,
    scaled,
    scaled_facets,
    tied_at_edges,
    window_of,
    window_order,
)
from hub.search.cluster_highlight import query_wanted
from hub.search.cluster_mapping import COMPLETION_RESERVED, json_text
from hub.search.cluster_query import (
    after_clause,
    aggs_of,
    any_failed,
    build_query,
    counted_apart,
    counting,
    facets_of,
    hits_of,
    sort_clause,
    total_of,
)
from hub.search.highlight import Wanted
from normalizers.resource import Resource

FACET_SIZE = 200
MAX_WINDOW = 10_000  # from+size beyond this pages with search_after


class IndexReadError(RuntimeError):
    """A search kept failing on some shards; the hub never serves silently partial results."""


def request_parts(query: SearchQuery, per_language: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a search asks: the matching part (query, sort, exact total, facets) and the page part
    (size, source, scores), merged into one request unless paging deep or counting apart. Highlights
    are the hub's (``hub.search.cluster_highlight``), not asked of the engine."""
    dsl, _ = build_query(query, per_language)
    body: dict[str, Any] = {"query": dsl, "sort": sort_clause(query.sort), "track_total_hits": True}
    if query.facets:
        body["aggs"] = {f: {"terms": {"field": f, "size": FACET_SIZE}} for f in FACET_FIELDS}
    page: dict[str, Any] = {"size": max(0, query.size), "_source": ["resource"], "track_scores": True}
    return body, page


class ClusterSearch:
    """The reading half of ``ClusterIndex``: searches, suggestions and lookups on the alias ``name``."""

    name: str
    max_result_window: int
    sampled: bool  # every document has its sample bucket (hub.search.cluster.ClusterIndex)
    estimate_above: int = ESTIMATE_ABOVE
    sample_percent: int = SAMPLE_PERCENT
    score_window: bool = True  # estimated counts sort a relevance page by score alone (False: tie-broken)
    score_margin: int = SCORE_MARGIN  # hits asked beside a score-only page on each side (ties seen whole)
    capped_beside: bool = False  # True: exact facets cut at the bound asked in the same trip (not after)
    # Words matched on the per-language ``text`` fields; False on an index an older hub wrote (its
    # documents lack them until `gkss reindex`): on the title and description fields of each language.
    per_language: bool = True

    # --- what each engine's client does to read -------------------------------------------------

    def _raw_search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _raw_msearch(self, index: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raise NotImplementedError  # the answers of one _msearch of bodies on index (items may be errors)

    def _get_source(self, index: str, id: str, includes: str) -> dict[str, Any] | None:
        """The ``includes`` part of a document's source, None when there is no such document."""
        raise NotImplementedError

    def _mget(self, index: str, ids: list[str], includes: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _count(self, index: str) -> int:
        raise NotImplementedError

    # --- reading -------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        for delay in (0.2, 0.5, 1.0, None):
            answer = self._raw_search(self.name, body)
            failed = int(answer.get("_shards", {}).get("failed", 0))
            if not failed:
                return answer
            if delay is None:
                raise IndexReadError(f"search failed on {failed} shard(s) of {self.name!r}")
            time.sleep(delay)
        raise AssertionError("unreachable")

    def search(self, query: SearchQuery) -> SearchPage:
        body, page = request_parts(query, self.per_language)
        offset = max(0, query.offset)
        want = query_wanted(query.text)
        if self._estimates(query, body, offset + page["size"]):
            return self._estimated(query, body, page, offset, want)
        if query.after is not None:  # keyset paging: never deeper than one page
            answer = self._search({**body, **page, "search_after": list(query.after)})
            return SearchPage(
                total=total_of(answer),
                hits=hits_of(answer, want),
                facets=facets_of(answer) if query.facets else {},
            )
        if offset + page["size"] <= self.max_result_window:
            whole = {**body, **page, "from": offset}
            if query.facets and not body["query"]["bool"]["must"]:  # the engine caches total and facets
                answer = counted_apart(whole, self.name, self._raw_msearch, self._search)
            else:
                answer = self._search(whole)
            return SearchPage(
                total=total_of(answer),
                hits=hits_of(answer, want),
                facets=facets_of(answer) if query.facets else {},
            )
        return self._deep_page(body, page, offset, want)

    def _estimates(self, query: SearchQuery, body: dict[str, Any], end: int) -> bool:
        """Whether this search is answered with estimated counts (hub.search.cluster_estimate): asked
        for, a query with words (one without is counted exactly, from the engine's cache), an index
        whose documents all have their sample bucket, a page within the result window."""
        return (
            query.counts == "estimate"
            and bool(body["query"]["bool"]["must"])
            and self.sampled
            and end + 1 <= self.max_result_window
        )

    def estimate_bodies(
        self, query: SearchQuery, body: dict[str, Any], page: dict[str, Any], offset: int
    ) -> tuple[list[dict[str, Any]], bool, int]:
        """The requests of one estimated search's ``_msearch`` (the page; the sample's counts; the exact
        facets cut at the bound), whether the page is the score-only window, and its lead."""
        bound = self.estimate_above
        dsl, aggs = body["query"], aggs_of(body)
        first: dict[str, Any] = {"query": dsl, **page, "track_total_hits": bound}
        window = self.score_window and query.sort == "relevance" and query.after is None
        start, size, lead = window_of(offset, page["size"], self.score_margin)
        if window:  # the score alone: the engine skips what cannot reach the page
            first |= {
                "sort": [{"_score": "desc"}],
                "from": start,
                "size": size,
                "docvalue_fields": ["sort_time"],
            }
        else:
            first |= {"sort": body["sort"], "from": offset, **after_clause(list(query.after or ()) or None)}
        bodies = [first, sampled_counts(counting(dsl), aggs, self.sample_percent)]
        if aggs and self.capped_beside:  # the exact facets of a search under the bound, in the same trip
            bodies.append(
                {
                    "query": counting(dsl),
                    "size": 0,
                    "track_total_hits": bound,
                    "terminate_after": bound,
                    **aggs,
                }
            )
        return bodies, window, lead

    def _estimated(
        self, query: SearchQuery, body: dict[str, Any], page: dict[str, Any], offset: int, want: Wanted
    ) -> SearchPage:
        """The page, its total counted up to ``estimate_above`` and the sample's counts, in one _msearch;
        exact facets in one more request when the total is under the bound."""
        percent = self.sample_percent
        dsl, aggs = body["query"], aggs_of(body)
        bodies, window, lead = self.estimate_bodies(query, body, page, offset)
        first = bodies[0]
        answers = self._raw_msearch(self.name, bodies)
        if any_failed(answers):
            return self.search(replace(query, counts="exact"))
        found, sample, *capped = answers
        if window and tied_at_edges(found["hits"]["hits"], lead, page["size"], first["from"], first["size"]):
            retry = {k: v for k, v in first.items() if k != "docvalue_fields"}
            found, window = (
                self._search(retry | {"sort": body["sort"], "from": offset, "size": page["size"]}),
                False,
            )
        if window:  # the page's hits alone, the window put in the tie-broken order
            on_page = window_order(found["hits"]["hits"])[lead : lead + page["size"]]
            hits = in_full_order(hits_of({"hits": {"hits": on_page}}, want))
        else:
            hits = hits_of(found, want)
        total = found["hits"]["total"]
        if total.get("relation", "eq") == "eq":  # under the bound: few matches, cheap to count exactly
            whole = capped and not capped[0].get("terminated_early")
            counted = (
                capped[0]
                if whole
                else self._search({"query": counting(dsl), "size": 0, **aggs})
                if aggs
                else {}
            )
            return SearchPage(total=int(total["value"]), hits=hits, facets=facets_of(counted) if aggs else {})
        estimate = max(int(total["value"]), scaled(total_of(sample), percent))
        facets = facets_of({"aggregations": scaled_facets(sample.get("aggregations", {}), percent)})
        return SearchPage(total=estimate, hits=hits, facets=facets if aggs else {}, counts="estimated")

    def _deep_page(self, body: dict[str, Any], page: dict[str, Any], offset: int, want: Wanted) -> SearchPage:
        """Skip to ``offset`` (sort values only), then read the page, with search_after on the stable
        sort (score or date, then id) in steps no larger than the result window: never scroll."""
        head = self._search({"query": body["query"], "size": 0, "track_total_hits": True, **aggs_of(body)})
        total = total_of(head)
        window = min(self.max_result_window, MAX_WINDOW)
        base = {"query": body["query"], "sort": body["sort"], "track_total_hits": False}
        after: list[Any] | None = None
        found: list[Hit] = []
        skip, wanted = min(offset, total), min(page["size"], max(0, total - offset))
        while skip or len(found) < wanted:
            extra = {"_source": False} if skip else page
            size = min(window, skip or wanted - len(found))
            answer = self._search({**base, **extra, "size": size, **after_clause(after)})
            hits = answer["hits"]["hits"]
            if not hits:
                break
            after = hits[-1]["sort"]
            if skip:
                skip -= len(hits)
            else:
                found.extend(hits_of(answer, want))
        return SearchPage(total=total, hits=found, facets=facets_of(head) if "aggs" in body else {})

    def suggest(self, prefix: str, size: int = 10) -> list[str]:
        """Titles that start with ``prefix`` (accent- and case-insensitive), best first."""
        cleaned = COMPLETION_RESERVED.sub(" ", json_text(prefix)).lstrip()
        if not cleaned.strip() or size <= 0:
            return []
        completion = {"field": "suggest", "size": size, "skip_duplicates": True}
        suggest = {"titles": {"prefix": cleaned[:100], "completion": completion}}
        answer = self._raw_search(self.name, {"_source": ["suggest.input"], "suggest": suggest})
        found: list[str] = []
        for option in answer["suggest"]["titles"][0]["options"]:
            text = str(option["text"])  # cut at max_input_length: give the whole title back
            inputs = option.get("_source", {}).get("suggest", {}).get("input", [])
            full = next((str(t) for t in inputs if str(t).startswith(text)), text)
            if full not in found:
                found.append(full)
        return found

    def get(self, id: str) -> Resource | None:
        source = self._get_source(self.name, id, "resource")
        return None if source is None else Resource.model_validate(source["resource"])

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The indexed content hash of each of ``ids`` that the index holds (one request)."""
        if not ids:
            return {}
        docs = self._mget(self.name, list(ids), "content_hash")
        return {d["_id"]: str(d["_source"]["content_hash"]) for d in docs if d.get("found")}

    def count(self) -> int:
        return self._count(self.name)

    def ids(self, batch: int = 5000) -> Iterator[str]:
        """Every id, in id order, paged with search_after."""
        after: list[Any] | None = None
        batch = min(batch, self.max_result_window)
        while True:
            body = {"sort": [{"id": "asc"}], "size": batch, "_source": False, **after_clause(after)}
            hits = self._search(body)["hits"]["hits"]
            for hit in hits:
                yield str(hit["_id"])
            if len(hits) < batch:
                return
            after = hits[-1]["sort"]
