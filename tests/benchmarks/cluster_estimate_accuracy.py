"""How near estimated counts come to the exact ones on the benchmark's corpus (``counts=estimate``,
hub.search.cluster_estimate): for each query with text, the same search counted both ways; the relative
error of the total and of the top facet values, and whether the page of hits is the same."""

from __future__ import annotations

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
