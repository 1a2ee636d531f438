"""The cluster benchmark's documents, generated once and kept on disk as bulk NDJSON, then loaded fast.

``bench_search_cluster.py`` makes document ``i`` from ``--seed`` and ``i`` only; building a million of
them (a Resource each, then its cluster document, then JSON) costs about two minutes of CPU, and
did so again on every load and on each engine. Here they are built once, in slices of ``SLICE``
documents, by one process per CPU, into ``.cache/bench-cluster/`` (git-ignored), as the body of a
bulk request (``{"index": {"_id": ...}}`` then the document, per line); a slice's file name carries
the seed, its range and a key of the generator (the corpus file and this module's ``GENERATOR``), so
a changed generator never reads stale files. Loading reads the slices and sends bodies of ``chunk``
documents, ``parallel`` requests at a time, through the engine's own client (``bulk`` of bytes):
the benchmark's own CPU then goes to the engine, not to making documents again. Only the bulk
comparison (step 1) times the hub's ``ClusterIndex.add``; the rest of the load is not measured.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "bench-cluster"
SLICE = 50_000
GENERATOR = "2"  # bump when bench_search_cluster.make changes what a document holds

_MAKE: Callable[[int], dict[str, Any]] | None = None  # set in the parent before the workers fork


def cache_key(corpus: Path) -> str:
    digest = hashlib.sha256(corpus.read_bytes() + GENERATOR.encode()).hexdigest()
    return digest[:12]


def slice_path(key: str, seed: int, start: int) -> Path:
    return CACHE / f"docs-{key}-seed{seed}-{start:08d}-{start + SLICE:08d}.ndjson"


def _write_slice(job: tuple[Path, int]) -> int:
    path, start = job
    assert _MAKE is not None
    lines: list[bytes] = []
    for i in range(start, start + SLICE):
        doc = _MAKE(i)
        lines.append(orjson.dumps({"index": {"_id": doc["id"]}}))
        lines.append(orjson.dumps(doc))
    temporary = path.with_suffix(".part")
    temporary.write_bytes(b"\n".join(lines) + b"\n")
    temporary.replace(path)
    return start


def ensure(make: Callable[[int], dict[str, Any]], key: str, seed: int, docs: int) -> None:
    """Build the slices covering documents 0..docs-1 that are not on disk yet (one process per CPU)."""
    global _MAKE
    CACHE.mkdir(parents=True, exist_ok=True)
    paths = [(slice_path(key, seed, start), start) for start in range(0, docs, SLICE)]
    jobs = [(path, start) for path, start in paths if not path.exists()]
    if not jobs:
        return
    _MAKE = make
    print(f"  generating {len(jobs) * SLICE:,} documents into {CACHE} (once) ...", flush=True)
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        for start in pool.map(_write_slice, jobs):
            print(f"    slice {start:,}+ written", flush=True)


def bodies(key: str, seed: int, start: int, stop: int, chunk: int) -> Iterator[bytes]:
    """Bulk bodies of ``chunk`` documents each, documents start..stop-1, from the cached slices."""
    for first in range(start - start % SLICE, stop, SLICE):
        lines = slice_path(key, seed, first).read_bytes().split(b"\n")
        low, high = max(start, first) - first, min(stop, first + SLICE) - first
        for at in range(low, high, chunk):
            end = min(at + chunk, high)
            yield b"\n".join(lines[2 * at : 2 * end]) + b"\n"


def load(send: Callable[[bytes], dict[str, Any]], batches: Iterator[bytes], parallel: int = 3) -> int:
    """Send the bulk bodies ``parallel`` at a time; the documents written (any item error: raise)."""

    def one(body: bytes) -> int:
        answer = send(body)
        if answer.get("errors"):
            failed = [item for item in answer["items"] if next(iter(item.values())).get("error")]
            raise RuntimeError(f"{len(failed)} documents rejected; first: {failed[0]}")
        return len(answer["items"])

    done = 0
    with ThreadPoolExecutor(parallel) as pool:
        pending: deque[Future[int]] = deque()
        for body in batches:  # at most 2 x parallel bodies in memory
            pending.append(pool.submit(one, body))
            if len(pending) >= 2 * parallel:
                done += pending.popleft().result()
        done += sum(future.result() for future in pending)
    return done


def fill(
    index: Any, make: Callable[[int], dict[str, Any]], corpus: Path, seed: int, start: int, stop: int
) -> None:
    """Load documents start..stop-1 into the cluster index ``index`` (a ClusterIndex) from the cache
    (built first where missing), refresh off during the load; prints the rate."""
    import time

    key = cache_key(corpus)
    ensure(make, key, seed, stop)
    (target,) = index.physical_indices()
    client = index.client
    if index.engine == "opensearch":
        send: Callable[[bytes], dict[str, Any]] = lambda body: dict(client.bulk(index=target, body=body))  # noqa: E731
    else:
        send = lambda body: dict(client.bulk(index=target, operations=body))  # noqa: E731
    index._put_settings(target, {"index": {"refresh_interval": "-1"}})
    began = time.perf_counter()
    try:
        first = start
        while first < stop:
            last = min(stop, first - first % SLICE + SLICE)
            load(send, bodies(key, seed, first, last, 1000))
            took = time.perf_counter() - began
            print(f"  loaded {last:,} ({(last - start) / took:,.0f} docs/s)", flush=True)
            first = last
    finally:
        index._put_settings(target, {"index": {"refresh_interval": None}})
    index.refresh()
