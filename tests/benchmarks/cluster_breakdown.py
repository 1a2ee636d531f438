"""Where the cluster query's time goes: the hub's request for the queries with text, taken apart.

Each variant is the hub's own request (``hub.search.cluster_search.request_parts``: the page of 10,
whose highlights the hub makes after the answer, the title phrase and exact-title boost, the portal's
facets and the exact total) with one part removed or changed, plus the floor (a bare ``multi_match``
of the text on the hub's field set, size 10) and the floor with the facets. One thread, through the
same client; every query runs every variant in turn, the order rotating from query to query, so no
variant gets a warmer cache. Used by ``bench_search_cluster.py`` (step 5).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

from hub.search.base import SearchQuery

Body = dict[str, Any]


def _without(key: str) -> Callable[[Body], Body]:
    return lambda body: {k: v for k, v in body.items() if k != key}


def _no_boost(body: Body) -> Body:
    changed = copy.deepcopy(body)
    changed["query"]["bool"].pop("should", None)
    return changed


def _uncounted(body: Body) -> Body:
    return {**body, "track_total_hits": False}


def _bounded(body: Body) -> Body:
    return {**body, "track_total_hits": 1000}


def _engine_highlight(words: list[tuple[str, bool]]) -> Callable[[Body], Body]:
    """The engine's highlighter on the page, as the hub asked it before highlighting itself."""
    from hub.search.cluster_query import highlight_clause

    return lambda body: {**body, "highlight": highlight_clause(words)} if words else body


def variants(full: Body, floor: Body, words: list[tuple[str, bool]]) -> dict[str, Body | list[Body]]:
    """The request variants of one query, by name (the first is the hub's, the last the floor)."""
    changes: dict[str, Callable[[Body], Body]] = {
        "hub query (highlights by the hub)": lambda b: b,
        "  before: with the engine's highlighter": _engine_highlight(words),
        "  without phrase/exact-title boost": _no_boost,
        "  without facets": _without("aggs"),
        "  total not counted": _uncounted,
        "  total counted to 1,000": _bounded,
        "  without boost, facets": lambda b: _no_boost(_without("aggs")(b)),
    }
    found: dict[str, Body | list[Body]] = {name: change(full) for name, change in changes.items()}
    if "aggs" in full:  # hub.search.cluster_query.counted_apart, as the queries without words run
        counts = {"query": full["query"], "size": 0, "track_total_hits": True, "aggs": full["aggs"]}
        page = {k: v for k, v in full.items() if k != "aggs"} | {"track_total_hits": False}
        found["  counted apart (page + size-0 counts, _msearch)"] = [page, counts]
        found["  counted apart, counts not cached"] = [page, {**counts, "_header": {"request_cache": False}}]
        unscored = {"bool": {"filter": [*full["query"]["bool"]["must"], *full["query"]["bool"]["filter"]]}}
        found["  counted apart, counts unscored (filter context)"] = [page, {**counts, "query": unscored}]
        found["  page alone (no facets, total not counted)"] = page
        found["floor + the hub's facets"] = {**floor, "aggs": full["aggs"]}
    found["floor: bare multi_match"] = floor
    return found


def breakdown(index: Any, queries: list[SearchQuery], fields: list[str], limit: int = 150) -> None:
    """Print p50/p99 of each variant over the first ``limit`` queries with text, 1 thread."""
    from hub.search.cluster_query import query_words
    from hub.search.cluster_search import request_parts

    texts = [q for q in queries if q.text.strip()][:limit]
    timings: dict[str, list[float]] = {}
    for i, query in enumerate(texts):
        body, page = request_parts(query)
        floor = {"query": {"multi_match": {"query": query.text, "fields": fields}}, "size": query.size}
        found = variants({**body, **page, "from": 0}, floor, query_words(query.text))
        names = list(found)
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            asked = found[name]
            if isinstance(asked, list):
                answers = _msearch(index, asked)
                assert not any("error" in a for a in answers), answers
            else:
                index.client.search(index=index.name, body=asked)
            timings.setdefault(name, []).append(time.perf_counter() - start)
    print(f"breakdown of the hub's query, {len(texts)} queries with text, 1 thread (same client):")
    floor_p50 = _pct(timings["floor: bare multi_match"], 0.5)
    for name, values in timings.items():
        p50, p99 = _pct(values, 0.5), _pct(values, 0.99)
        print(f"  {name:<50} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   x{p50 / floor_p50:5.2f} of floor p50")


def _msearch(index: Any, bodies: list[Body]) -> list[Body]:
    """One ``_msearch`` of ``bodies``; a body's ``_header`` goes to its header line (request_cache)."""
    lines: list[Body] = []
    for body in bodies:
        header = {"index": index.name, **body.get("_header", {})}
        lines += [header, {k: v for k, v in body.items() if k != "_header"}]
    if index.engine == "opensearch":
        return list(index.client.msearch(body=lines)["responses"])
    return list(index.client.msearch(searches=lines)["responses"])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000
