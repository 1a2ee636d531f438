"""On-demand benchmark of the embedded search (Tantivy): the hub's search beside the engine's own floor.

Not collected by pytest (``tests/benchmarks`` is in ``norecursedirs``). Run it from the repository::

    python tests/benchmarks/bench_search.py --docs 100000 [--queries 3000] [--fts5] [--http]

Documents and queries come from tests/benchmarks/search_corpus.py (one seed: the same for every engine).

In process, one client, no result cache (every query costs what it costs), for each query of the mix:
the engine's floor, i.e. Tantivy's bare top 10 + exact count (``searcher.search``) and the 6 facets
(``searcher.aggregate``) for the very query the hub builds (built beforehand, not timed), then the
hub's whole ``search()`` (a page of 10 Hits with their Resources and highlights, exact total, 6 facets).
The two are interleaved query by query (which goes first alternates), so a noisy neighbour slows both
alike. Figures per class of
query (text, filtered, browse; search_corpus.CLASSES) with the targets: the hub within 2x of the floor
at p50 and 3x at p99. Then the same queries through the result cache (as served).

``--fts5``: the same documents and queries through the FTS5-based search of the hub before Tantivy
(the tag ``fts5-embedded-search``, exported by ``git archive`` and run by fts5_old.py), target: the
hub at least 3x faster at p50. ``--http``: ``gkss serve`` on this index driven by ``wrk`` (a Lua script
rotating the query mix; search_wrk.py) at 1, 8 and 32 connections, beside the same server's ``/livez``
(no work); targets at 32 connections: /api/search throughput >= 0.4 of /livez's, p99 <= 4x p50.
The benchmark measures and exits 0; it prints PASS/MISS per target.
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``hub`` and ``normalizers`` importable
    sys.path.insert(0, str(ROOT))

from hub.search.base import SearchQuery  # noqa: E402
from hub.search.tantivy_index import TantivyIndex  # noqa: E402
from hub.search.tantivy_schema import document  # noqa: E402
from hub.settings import Settings  # noqa: E402
from tests.benchmarks.search_corpus import (  # noqa: E402
    CLASSES,
    load_vocabulary,
    query_mix,
    sample_of,
    synthetic,
)
from tests.benchmarks.search_stages import profile, report  # noqa: E402

OLD_TAG = "fts5-embedded-search"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def by_class(timings: dict[str, list[float]]) -> dict[str, list[float]]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for kind, values in timings.items():
        grouped[CLASSES[kind]].extend(values)
    return grouped


def build(
    path: Path,
    docs: int,
    seed: int,
    chunk: int = 0,
    holding: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> TantivyIndex:
    """The index of the first ``docs`` documents of the seed, built unless it holds them already: in
    one commit, or one per ``chunk`` documents, each commit's work inside ``holding()`` (a lock)."""
    index = TantivyIndex(path)
    if index.count() == docs:
        return index
    began = time.perf_counter()
    made = synthetic(docs, load_vocabulary(), seed)
    # An index of this benchmark holding fewer documents holds the first of the seed: grown from there.
    written = index.count() if index.count() < docs else 0
    if written:
        print(f"  {written} docs there: adding the next {docs - written}")
        for _ in islice(made, written):
            pass
    step, start = chunk or docs, written
    while written < docs:
        batch = list(islice(made, step))

        def work(writer: Any, batch: list[Any] = batch, first: bool = written == 0) -> None:
            if first:
                writer.delete_all_documents()
            for resource in batch:
                writer.add_document(document(resource))

        with holding():
            index._write(work)
        written += len(batch)
        print(f"  {written} docs indexed, {time.perf_counter() - began:.0f} s, load {os.getloadavg()[0]:.1f}")
    took = time.perf_counter() - began
    size = sum(p.stat().st_size for p in path.iterdir() if p.is_file()) / 2**20
    rate = (docs - start) / took
    added = docs - start
    print(f"indexed {added} docs in {took:.1f} s = {rate:.0f} docs/s; now {index.count()}, {size:.0f} MB")
    return index


def floor_of(index: TantivyIndex, query: SearchQuery) -> Callable[[], object]:
    """The engine alone for this query: top 10 (the page) + exact count, and the 6 facets."""
    engine, relevance = index.engine_query(query)
    searcher = index.searcher
    order = None if relevance else "order"

    def run() -> object:
        searcher.search(engine, query.size, count=True, order_by_field=order, offset=query.offset)
        return searcher.aggregate(engine, index.aggregation)

    return run


def in_process(
    index: TantivyIndex, queries: list[tuple[str, SearchQuery]]
) -> dict[str, dict[str, list[float]]]:
    """ms per query by kind: the floor and the hub (no result cache) interleaved, then the hub cached."""
    timings: dict[str, dict[str, list[float]]] = {"floor": defaultdict(list), "hub": defaultdict(list)}
    timings["cached"] = defaultdict(list)
    floors = [floor_of(index, query) for _, query in queries]
    index.cache_size = 0
    for n, ((kind, query), floor) in enumerate(zip(queries, floors, strict=True)):
        hub = functools.partial(index.search, query)
        calls: list[tuple[str, Callable[[], object]]] = [("floor", floor), ("hub", hub)]
        for name, call in calls if n % 2 else calls[::-1]:  # who goes first alternates
            began = time.perf_counter()
            call()
            timings[name][kind].append((time.perf_counter() - began) * 1000)
    index.cache_size = 512
    for kind, query in queries:
        began = time.perf_counter()
        index.search(query)
        timings["cached"][kind].append((time.perf_counter() - began) * 1000)
    return timings


def old_fts5(docs: int, queries: int, seed: int) -> dict[str, Any]:
    """fts5_old.py run on the code of OLD_TAG (exported to a temporary directory)."""
    with tempfile.TemporaryDirectory() as old, tempfile.TemporaryDirectory() as data:
        archive = subprocess.run(["git", "archive", OLD_TAG], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", old], input=archive.stdout, check=True)
        script = Path(__file__).with_name("fts5_old.py")
        command = [sys.executable, str(script), "--docs", str(docs), "--queries", str(queries)]
        env = {**os.environ, "PYTHONPATH": old}
        done = subprocess.run(
            [*command, "--seed", str(seed), "--dir", data],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return dict(json.loads(done.stdout))


def line(label: str, values: list[float]) -> str:
    return f"{label} p50 {pct(values, 0.5):.2f} ms p99 {pct(values, 0.99):.2f} ms"


def report_in_process(timings: dict[str, dict[str, list[float]]], old: dict[str, Any] | None) -> None:
    floor, hub, cached = (by_class(timings[name]) for name in ("floor", "hub", "cached"))
    old_classes = by_class(old["timings"]) if old else {}
    print(f"\nin process, one client ({sum(len(v) for v in hub.values())} queries)")
    for cls in ("text", "filtered", "browse"):
        f50, f99, h50, h99 = (
            pct(floor[cls], 0.5),
            pct(floor[cls], 0.99),
            pct(hub[cls], 0.5),
            pct(hub[cls], 0.99),
        )
        verdict = "PASS" if h50 <= 2 * f50 and h99 <= 3 * f99 else "MISS"
        print(f"  {cls:<9} n={len(hub[cls]):>5}  {line('floor', floor[cls])} | {line('hub', hub[cls])}")
        print(f"  {'':<9} {verdict} hub/floor p50 x{h50 / f50:.2f} (<= 2), p99 x{h99 / f99:.2f} (<= 3)")
        print(f"  {'':<9} {line('hub with result cache', cached[cls])}")
        if cls in old_classes:
            o50 = pct(old_classes[cls], 0.5)
            verdict = "PASS" if o50 >= 3 * h50 else "MISS"
            print(
                f"  {'':<9} {verdict} {line('FTS5 hub (old code)', old_classes[cls])}: "
                f"x{o50 / h50:.1f} (>= 3)"
            )
    if old:
        every_old = [ms for values in old["timings"].values() for ms in values]
        every_hub = [ms for values in hub.values() for ms in values]
        o50, h50 = pct(every_old, 0.5), pct(every_hub, 0.5)
        verdict = "PASS" if o50 >= 3 * h50 else "MISS"
        print(
            f"  all       {verdict} FTS5 p50 {o50:.2f} ms vs Tantivy hub p50 {h50:.2f} ms: "
            f"x{o50 / h50:.1f} (>= 3)"
        )
        print(f"  (FTS5 indexed {old['docs']} docs in {old['indexing_s']:.1f} s)")


def locked(path: Path | None) -> Callable[[], AbstractContextManager[object]]:
    """A context holding ``path``'s flock (a lock shared by benchmarks of one machine), or nothing."""

    @contextmanager
    def holding() -> Iterator[None]:
        assert path is not None
        with open(path, "a+b") as handle:
            waited = time.perf_counter()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            print(
                f"  ({path} held after {time.perf_counter() - waited:.0f} s; load {os.getloadavg()[0]:.1f})"
            )
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    return holding if path is not None else nullcontext


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reuse", type=Path, default=None, help="index directory to keep and reuse between runs"
    )
    parser.add_argument("--chunk", type=int, default=0, help="build: one commit per this many documents")
    parser.add_argument("--lock", type=Path, default=None, help="hold this flock for each heavy step")
    parser.add_argument("--stages", action="store_true", help="also profile the search stage by stage")
    parser.add_argument("--build-only", action="store_true", help="build the index (--reuse) and stop")
    parser.add_argument("--fts5", action="store_true", help="also time the FTS5 search of the old code")
    parser.add_argument("--http", action="store_true", help="also drive a served hub with wrk")
    args = parser.parse_args()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} cpus={os.cpu_count()} load={os.getloadavg()}"
    )
    holding = locked(args.lock)
    with tempfile.TemporaryDirectory() as tmp:
        path = args.reuse or Path(tmp) / "index"
        index = build(path, args.docs, args.seed, args.chunk, holding)
        if args.build_only:
            return
        vocabulary = load_vocabulary()
        queries = query_mix(vocabulary, sample_of(vocabulary, args.seed), args.queries, args.seed)
        with holding():
            print(f"in process from {time.strftime('%H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
            for _, query in queries[:100]:  # warm the file cache
                index.search(query)
            timings = in_process(index, queries)
            stages = (
                profile(index, queries[: max(300, len(queries) // 3)], Settings()) if args.stages else None
            )
            print(f"in process until {time.strftime('%H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
        index.close()
        if args.fts5:
            with holding():
                old = old_fts5(args.docs, args.queries, args.seed)
        else:
            old = None
        report_in_process(timings, old)
        if stages is not None:
            report(stages)
        if args.http:
            from tests.benchmarks.search_wrk import CONNECTIONS, served

            sample = sample_of(vocabulary, args.seed)
            rotations = {c: query_mix(vocabulary, sample, 30_000, args.seed + 1 + c) for c in CONNECTIONS}
            rotations[-32] = query_mix(vocabulary, sample, 30_000, args.seed + 100 + 32)  # one wrk thread
            with holding():
                print(f"served from {time.strftime('%H:%M UTC', time.gmtime())}, load {os.getloadavg()}")
                served(path, rotations, query_mix(vocabulary, sample, 2000, args.seed + 100))
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
