"""Estimated counts on the benchmark's corpus (``counts=estimate``, hub.search.cluster_estimate): how
near they come to the exact ones (for each query with text, the same search counted both ways: the
relative error of the total and of the top facet values, whether the page of hits is the same), and
what each part costs (``estimate_variants``: sample shares, the score-only page, one thread, every
query running every variant in turn, the order rotating)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hub.search.base import SearchQuery


def _quantiles(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    at = [ordered[min(len(ordered) - 1, int(q * len(ordered)))] for q in (0.5, 0.9, 0.99)]
    return f"median {at[0]:.1%}, p90 {at[1]:.1%}, p99 {at[2]:.1%}, max {ordered[-1]:.1%} (n={len(ordered)})"


def estimate_accuracy(index: Any, queries: list[SearchQuery], limit: int = 150, top: int = 5) -> None:
    """Print the errors of the estimated counts against the exact ones over up to ``limit`` text queries
    (the ``top`` values of each facet, by exact count)."""
    totals: list[float] = []
    facets: list[float] = []
    big_facets: list[float] = []  # values holding at least 1,000 of the matches
    estimated = same_pages = 0
    asked = [q for q in queries if q.text.strip()][:limit]
    for query in asked:
        exact = index.search(replace(query, counts="exact"))
        guess = index.search(replace(query, counts="estimate"))
        same_pages += [h.id for h in exact.hits] == [h.id for h in guess.hits]
        if guess.counts != "estimated":
            continue
        estimated += 1
        totals.append(abs(guess.total - exact.total) / exact.total)
        for name, counts in exact.facets.items():
            for value, n in sorted(counts.items(), key=lambda pair: -pair[1])[:top]:
                error = abs(guess.facets.get(name, {}).get(value, 0) - n) / n
                facets.append(error)
                if n >= 1000:
                    big_facets.append(error)
    print(f"estimated counts against exact ones, {len(asked)} queries with text:")
    print(
        f"  same page of hits: {same_pages} of {len(asked)}; estimated: {estimated} (others: under the bound)"
    )
    print(f"  total, relative error: {_quantiles(totals)}")
    print(f"  top {top} values of each facet, relative error: {_quantiles(facets)}")
    print(f"  those holding >= 1,000 matches: {_quantiles(big_facets)}", flush=True)


def _set(index: Any, **values: Any) -> Callable[[], None]:
    def apply() -> None:
        for name, value in values.items():
            setattr(index, name, value)

    return apply


def estimate_variants(index: Any, queries: list[SearchQuery], limit: int = 150) -> None:
    """p50/p99 of the text queries with estimated counts: sample shares of 1, 2, 5 and 10 %, the 5 %
    one with the tie-broken sort in the engine or with the exact facets of a search under the bound asked
    after the answer (not beside it), and exact counts, one thread, each query every variant
    (the request cache emptied before each)."""
    kept = (index.sample_percent, index.score_window, index.capped_beside)
    variants: dict[str, tuple[Callable[[], None], str]] = {
        f"estimate, {p}% sample": (
            _set(index, sample_percent=p, score_window=True, capped_beside=True),
            "estimate",
        )
        for p in (1, 2, 5, 10)
    }
    variants["estimate, 5%, tie-broken sort"] = (
        _set(index, sample_percent=5, score_window=False, capped_beside=True),
        "estimate",
    )
    variants["estimate, 5%, exact facets after"] = (
        _set(index, sample_percent=5, score_window=True, capped_beside=False),
        "estimate",
    )
    variants["exact counts"] = (_set(index, sample_percent=5, score_window=True, capped_beside=True), "exact")
    timings: dict[str, list[float]] = {name: [] for name in variants}
    totals: dict[str, list[float]] = {name: [] for name in variants}
    names = list(variants)
    try:
        for i, query in enumerate([q for q in queries if q.text.strip()][:limit]):
            found = {}
            for name in names[i % len(names) :] + names[: i % len(names)]:
                setup, counts = variants[name]
                setup()
                index.client.indices.clear_cache(index=index.name, request=True)  # counts not cached
                start = time.perf_counter()
                found[name] = index.search(replace(query, counts=counts))
                timings[name].append(time.perf_counter() - start)
            exact = found["exact counts"].total
            for name, page in found.items():
                if page.counts == "estimated":
                    totals[name].append(abs(page.total - exact) / exact)
    finally:
        index.sample_percent, index.score_window, index.capped_beside = kept
    print(f"estimated counts, variants, 1 thread, {len(timings['exact counts'])} queries with text:")
    for name, values in timings.items():
        ordered = sorted(values)
        p50, p99 = (ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 for q in (0.5, 0.99))
        print(
            f"  {name:<32} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms   total's error: {_quantiles(totals[name])}"
        )
