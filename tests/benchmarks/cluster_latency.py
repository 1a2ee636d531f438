"""Steps 3-5 of ``bench_search_cluster.py``: the hub's search against its floors at 1 and ``--threads``
clients (the same queries, the same client), the estimates' accuracy, counting apart, the breakdown."""

from __future__ import annotations

import argparse
import copy
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hub.search.base import SearchQuery
from tests.benchmarks.cluster_breakdown import breakdown
from tests.benchmarks.cluster_clients import (
    Runner,
    compare_latency,
    latency_report,
    run_clients,
    run_processes,
)
from tests.benchmarks.cluster_estimate_accuracy import estimate_accuracy, estimate_variants


def counted_apart_ab(index: Any, queries: list[SearchQuery]) -> None:
    """What counting apart buys: the queries without words (facets on) through ClusterIndex.search,
    each run both ways in turn (order alternating), total and facets in the page's request vs in a
    cacheable size-0 request beside it (hub.search.cluster_query.counted_apart); answers must agree."""
    import hub.search.cluster_search as cluster

    apart = cluster.counted_apart

    def together(body: dict[str, Any], name: str, msearch: object, search: Callable[..., Any]) -> Any:
        return search(body)

    timings: dict[str, list[float]] = {"in the page's request": [], "counted apart": []}
    ways = {"in the page's request": together, "counted apart": apart}
    try:
        for i, query in enumerate(q for q in queries if not q.text.strip()):
            pages = []
            for way in sorted(ways, reverse=bool(i % 2)):
                cluster.counted_apart = ways[way]  # type: ignore[assignment]
                start = time.perf_counter()
                pages.append(index.search(query))
                timings[way].append(time.perf_counter() - start)
            assert pages[0].total == pages[1].total and pages[0].facets == pages[1].facets
    finally:
        cluster.counted_apart = apart
    done = len(timings["counted apart"])
    print(f"total and facets of the queries without words, 1 thread, {done} queries:")
    for way, values in timings.items():
        latency_report(way, values, sum(values))


def search_latency(args: argparse.Namespace, queries: list[SearchQuery], pipeline: Any) -> None:
    """Steps 3-5: the hub's query against its floors, 1 and ``--threads`` clients; the breakdown."""
    from hub.search.cluster_query import LEGACY_FIELDS, MATCH_FIELDS, SEARCH_FIELDS

    ours: list[Callable[[], object]] = [lambda q=q: pipeline.search(q) for q in queries]  # type: ignore[misc]
    portal = [replace(q, counts="estimate") for q in queries]  # as the portal and widget ask
    estimated: list[Callable[[], object]] = [lambda q=q: pipeline.search(q) for q in portal]  # type: ignore[misc]
    body = {"query": {"match_all": {}}, "size": 10}
    bare: list[Callable[[], object]] = [
        lambda: pipeline.client.search(index=pipeline.name, body=body) for _ in queries
    ]

    def multi_match(text: str, fields: list[str] = SEARCH_FIELDS) -> dict[str, Any]:
        if not text.strip():
            return body
        return {"query": {"multi_match": {"query": text, "fields": fields}}, "size": 10}

    def bare_on(fields: list[str]) -> list[Callable[[], object]]:
        return [
            lambda b=multi_match(q.text, fields): pipeline.client.search(index=pipeline.name, body=b)  # type: ignore[misc]
            for q in queries
        ]

    bare_text = bare_on(SEARCH_FIELDS)
    text = [bool(q.text.strip()) for q in queries]
    beside = copy.copy(pipeline)  # the exact facets cut at the bound asked in the same trip, as before
    beside.capped_beside = True
    runs: dict[str, list[Callable[[], object]]] = {
        "bare match_all": bare,
        "bare multi_match": bare_text,
        # the same on fewer fields, for reference: what a word must match in (no score-only field), and
        # the fields the hub matched on before the per-language text fields (still in the mapping)
        "bare multi_match, matching fields": bare_on(["all_text", *MATCH_FIELDS]),
        "bare multi_match, former fields": bare_on(LEGACY_FIELDS),
        "hub, exact counts": ours,
        "hub, estimated, facets beside": [lambda q=q: beside.search(q) for q in portal],  # type: ignore[misc]
        "hub, estimated (portal)": estimated,
    }

    def uncache() -> None:  # no run's counts answered from the shard request cache of an earlier run
        pipeline.client.indices.clear_cache(index=pipeline.name, request=True)

    def reconnect() -> None:
        from hub.cluster_connection import ClusterConnection

        pipeline._connect([args.url], timeout=60.0, pool_maxsize=32, connection=ClusterConnection())

    def driver(processes: int) -> Runner:
        if processes > 1:
            return lambda calls, threads: run_processes(calls, threads, processes, reconnect)
        return run_clients

    shapes = [(1, 1), (args.threads, 1)] + ([(args.threads, args.processes)] if args.processes > 1 else [])
    for threads, processes in shapes:
        shape = f" in {processes} processes" if processes > 1 else ""
        print(f"search latency, {args.docs:,} documents, {threads} clients{shape}, {args.queries:,} queries:")
        compare_latency(runs, threads, text, driver(processes), hubs=3, before=uncache)
    estimate_accuracy(pipeline, queries)
    estimate_variants(pipeline, queries)
    if args.latency_only:
        return
    counted_apart_ab(pipeline, queries)
    breakdown(pipeline, queries, SEARCH_FIELDS)
