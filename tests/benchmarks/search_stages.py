"""Where the embedded search's time goes, stage by stage (run by bench_search.py --stages, or alone).

    python tests/benchmarks/search_stages.py --reuse /tmp/idx --docs 100000 --queries 1000

Every query of the mix runs through the hub's whole ``TantivyIndex.search`` without result cache, then
what the API adds (next cursor, page JSON, ETag), while the index's searcher is wrapped by a proxy
that times each engine call, and the functions of each stage are wrapped by timers. Stages:

- ``query``: the SearchQuery as a Tantivy query (analysis, prefix expansion in the term dictionary);
- ``engine``: searcher.search (top hits and exact count; several calls when scores tie at the page
  edge) and the day column read for tied hits;
- ``ties``: documents read only to order hits tied on one day (tantivy_ranking.order_of);
- ``facets``: searcher.aggregate and its buckets as the hub's facet dict;
- ``read``: the page's documents read from the index's store (Resource JSON, result JSON, texts);
- ``highlights``: the query's words analysed and marked in titles or descriptions;
- ``other``: the rest of search() (the cache lookups, keys, Hits);
- ``cursor``, ``json``, ``etag``: the API's next_cursor, page_body and the ETag's SHA-256.

Nothing is parsed as a Resource on this path (the page is built from the result JSON the index keeps).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hub.search import tantivy_index, tantivy_ranking  # noqa: E402
from hub.search.base import SearchQuery  # noqa: E402
from hub.search.cursor import next_cursor  # noqa: E402
from hub.search.results import page_body  # noqa: E402
from hub.search.tantivy_index import TantivyIndex  # noqa: E402
from hub.settings import Settings  # noqa: E402

STAGES = ("query", "engine", "ties", "facets", "read", "highlights", "other", "cursor", "json", "etag")
ENGINE_CALLS = {"search": "engine", "fast_field_values": "engine", "aggregate": "facets", "doc": "read"}


class Clock:
    """Seconds per stage for the query being timed; a stage entered inside another is taken out of it."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self._stack: list[tuple[str, float]] = []

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        self._stack.append((name, 0.0))
        try:
            yield
        finally:
            _, inner = self._stack.pop()
            took = time.perf_counter() - began
            self.spent[name] += took - inner
            if self._stack:
                outer, nested = self._stack[-1]
                self._stack[-1] = (outer, nested + took)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return function(*args, **kwargs)

        return timed


class TimedSearcher:
    """A tantivy.Searcher whose calls are timed as the stage they belong to."""

    def __init__(self, searcher: Any, clock: Clock) -> None:
        self._searcher, self._clock = searcher, clock

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._searcher, name)
        stage = ENGINE_CALLS.get(name)
        return self._clock.wrap(stage, found) if stage and callable(found) else found


def instrument(index: TantivyIndex, clock: Clock) -> None:
    """Wrap the index's searcher and the stage functions (for this process: a benchmark only)."""
    index._searcher = TimedSearcher(index._searcher, clock)  # type: ignore[assignment]
    index._build.text = clock.wrap("query", index._build.text)  # type: ignore[method-assign]
    index._build.filters = clock.wrap("query", index._build.filters)  # type: ignore[method-assign]
    index._build.combine = clock.wrap("query", index._build.combine)  # type: ignore[method-assign]
    for module, name, stage in (
        (tantivy_ranking, "order_of", "ties"),
        (tantivy_index, "facet_dict", "facets"),
        (tantivy_index, "marked", "highlights"),
        (tantivy_index, "wanted", "highlights"),
    ):
        setattr(module, name, clock.wrap(stage, getattr(module, name)))


def profile(
    index: TantivyIndex, queries: list[tuple[str, SearchQuery]], settings: Settings
) -> dict[str, dict[str, list[float]]]:
    """ms per stage per query, by query class (and ``total``), the result cache off."""
    from tests.benchmarks.search_corpus import CLASSES

    clock = Clock()
    instrument(index, clock)
    index.cache_size = 0
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for kind, query in queries:
        clock.spent.clear()
        began = time.perf_counter()
        with clock.stage("other"):
            page = index.search(query)
        with clock.stage("cursor"):
            more = {}
            if page.hits and len(page.hits) == query.size and page.hits[-1].sort_key:
                more["next_cursor"] = next_cursor(settings, query, page.hits[-1].sort_key)
        with clock.stage("json"):
            body = page_body(page, query, **more)
        with clock.stage("etag"):
            hashlib.sha256(body).hexdigest()
        took = time.perf_counter() - began
        row = found[CLASSES[kind]]
        row["total"].append(took * 1000)
        for stage in STAGES:
            row[stage].append(clock.spent.get(stage, 0.0) * 1000)
    return found


def report(found: dict[str, dict[str, list[float]]]) -> None:
    print("\nper stage, one client, no result cache (ms: mean per query and its share; the total's p50, p99)")
    for cls in ("text", "filtered", "browse"):
        if cls not in found:
            continue
        row = found[cls]
        total = sorted(row["total"])
        mean = sum(total) / len(total)
        print(
            f"  {cls:<9} n={len(total):>5} total mean {mean:.2f} ms p50 {total[len(total) // 2]:.2f} "
            f"p99 {total[min(len(total) - 1, int(0.99 * len(total)))]:.2f}"
        )
        parts = []
        for stage in STAGES:
            spent = sum(row[stage]) / len(total)
            parts.append(f"{stage} {spent:.3f} ({100 * spent / mean:.0f}%)")
        print("            " + ", ".join(parts))


def main() -> None:
    from tests.benchmarks.bench_search import build
    from tests.benchmarks.search_corpus import load_vocabulary, query_mix, sample_of

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", type=Path, required=True, help="index directory (built when missing)")
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} load={os.getloadavg()}")
    index = build(args.reuse, args.docs, args.seed)
    vocabulary = load_vocabulary()
    queries = query_mix(vocabulary, sample_of(vocabulary, args.seed), args.queries, args.seed)
    for _, query in queries[:100]:
        index.search(query)
    report(profile(index, queries, Settings()))
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
