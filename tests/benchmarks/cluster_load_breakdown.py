"""Where the engine's time goes under load: the requests of the portal's query, one kind at a time.

At 32 clients the engine's CPU is the limit, so what decides the hub's latency is the engine work of
the requests one search sends against that of one floor query. For the queries with text, each run
sends one kind of request for every query at ``threads`` clients (the request cache emptied first;
the sample's facets without words, one body for every query, asked past it):
the floor (a bare ``multi_match`` on the hub's field set), the hub's estimated search end to end, its
``_msearch`` of three requests, and each of the three alone (``ClusterSearch.estimate_bodies``: the
score-only page, the sample's counts, the exact facets cut at the bound), plus what counting every
match would cost. Queries/s of each is the figure; ``rounds`` repeats the runs in reverse order so no
kind always runs on a warmer or busier engine. Used by ``bench_search_cluster.py --load-breakdown``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hub.search.base import SearchQuery
from tests.benchmarks.cluster_breakdown import _msearch
from tests.benchmarks.cluster_clients import pct, run_clients

Body = dict[str, Any]
NO_WORDS = "  (2) the sample's facets, no words"  # asked past the request cache (the same for every query)


def _no_boosts(boolean: Body) -> None:
    boolean.pop("should", None)


def _words_on(kind: str) -> Callable[[Body], None]:
    """Each word's clause kept to its ``multi_match`` on the field set, or to its ``all_text`` phrase."""

    def change(boolean: Body) -> None:
        for word in boolean["must"]:
            options = word["bool"]["should"]
            kept = [o for o in options if kind in o] or options
            word["bool"]["should"] = kept

    return change


def _one_dis_max(boolean: Body) -> None:
    """Each word's two options (its ``all_text`` phrase, its ``multi_match``) as one ``multi_match`` on
    the field set and ``all_text`` (the same matches for a one-token word; the best field's score)."""
    for word in boolean["must"]:
        options = word["bool"]["should"]
        multi = next((o["multi_match"] for o in options if "multi_match" in o), None)
        if multi is not None:
            word["bool"]["should"] = [{"multi_match": {**multi, "fields": [*multi["fields"], "all_text"]}}]


PAGE_VARIANTS: dict[str, Callable[[Body], None]] = {
    "  (1) each word one multi_match, all_text in it": _one_dis_max,
    "  (1) without the title boosts": _no_boosts,
    "  (1) words on the field set only (no all_text)": _words_on("multi_match"),
    "  (1) words on all_text only": _words_on("match_phrase"),
}


def request_kinds(index: Any, query: SearchQuery, fields: list[str]) -> dict[str, Body | list[Body]]:
    """The requests of one query with text, by kind (the floor first)."""
    from hub.search.cluster_search import request_parts

    body, page = request_parts(query)
    kept, index.capped_beside = index.capped_beside, True  # all three requests, (3) included
    try:
        bodies, _, _ = index.estimate_bodies(query, body, page, max(0, query.offset))
    finally:
        index.capped_beside = kept
    floor = {"query": {"multi_match": {"query": query.text, "fields": fields}}, "size": query.size}
    kinds: dict[str, Body | list[Body]] = {"floor: bare multi_match": floor}
    kinds["hub's _msearch (the 3 requests)"] = bodies
    kinds["(1) the page"] = bodies[0]
    kinds["(2) the sample's counts"] = bodies[1]
    kinds["  (2) without facets"] = {k: v for k, v in bodies[1].items() if k != "aggs"}
    *_, sample_only = bodies[1]["query"]["bool"]["filter"]  # [the words, the sample]: the sample alone
    kinds[NO_WORDS] = {**bodies[1], "query": {"bool": {"filter": [sample_only]}}}
    if len(bodies) > 2:
        kinds["(3) exact facets cut at the bound"] = bodies[2]
    kinds["(1)+(2) only"] = bodies[:2]
    for name, change in PAGE_VARIANTS.items():
        changed = copy.deepcopy(bodies[0])
        change(changed["query"]["bool"])
        kinds[name] = changed
    counts = {
        "query": body["query"],
        "size": 0,
        "track_total_hits": True,
        **({"aggs": body["aggs"]} if "aggs" in body else {}),
    }
    kinds["all matches counted, with facets"] = counts
    return kinds


def load_breakdown(
    index: Any, queries: list[SearchQuery], fields: list[str], threads: int = 32, rounds: int = 2
) -> None:
    """Print queries/s and p50/p99 of each kind of request at ``threads`` clients."""
    texts = [replace(q, counts="estimate") for q in queries if q.text.strip()]
    per_query = [request_kinds(index, q, fields) for q in texts]
    names = list(per_query[0])
    calls: dict[str, list[Callable[[], object]]] = {}
    for name in names:
        # the same body for every query: uncached, or all but the first would read the request cache
        fresh = name == NO_WORDS
        calls[name] = [_call(index, kinds[name], fresh) for kinds in per_query if name in kinds]
    beside, after = "hub's search, end to end", "  the same, exact facets asked after, under the bound"
    for name in (beside, after):
        calls[name] = [lambda q=q: index.search(q) for q in texts]  # type: ignore[misc]
    names[1:1] = [beside, after]
    setups = {beside: True, after: False}  # ClusterSearch.capped_beside of the run
    figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name in names}
    kept = index.capped_beside
    try:
        for name in names:  # warm-up
            index.capped_beside = setups.get(name, kept)
            run_clients(calls[name][: len(calls[name]) // 10], threads)
        for r in range(rounds):
            for name in names if r % 2 == 0 else list(reversed(names)):
                index.capped_beside = setups.get(name, kept)
                index.client.indices.clear_cache(index=index.name, request=True)
                timings, wall = run_clients(calls[name], threads)
                figures[name].append((len(timings) / wall, pct(timings, 0.5), pct(timings, 0.99)))
    finally:
        index.capped_beside = kept
    floor_rate = sum(f[0] for f in figures[names[0]]) / rounds
    print(f"load breakdown, {len(texts)} queries with text, {threads} clients, {rounds} rounds:")
    for name in names:
        rate = sum(f[0] for f in figures[name]) / rounds
        p50 = sum(f[1] for f in figures[name]) / rounds
        p99 = sum(f[2] for f in figures[name]) / rounds
        print(
            f"  {name:<38} {rate:8.1f} queries/s  (floor/this x{floor_rate / rate:5.2f})"
            f"   p50 {p50:8.2f} ms   p99 {p99:8.2f} ms",
            flush=True,
        )


def _call(index: Any, asked: Body | list[Body], fresh: bool = False) -> Callable[[], object]:
    if isinstance(asked, list):
        return lambda: _msearch(index, asked)
    if fresh:
        return lambda: index.client.search(index=index.name, body=asked, request_cache=False)
    return lambda: index.client.search(index=index.name, body=asked)
