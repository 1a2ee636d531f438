"""The FTS5-based search of the hub before Tantivy, timed on the benchmark corpus (run by bench_search.py).

Run with the old code first on the path (``git archive fts5-embedded-search``: the tag keeps it)::

    PYTHONPATH=/tmp/old python tests/benchmarks/fts5_old.py --docs 100000 --queries 600 --dir /tmp/x

Prints one JSON object: indexing time and, per query kind, the ms of each search (one client, no
result cache: every query costs what it costs), for the same documents and queries as bench_search.py.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from itertools import islice
from pathlib import Path

from hub.search.sqlite_fts import SqliteFtsIndex  # type: ignore[import-not-found]  # the old code

_spec = importlib.util.spec_from_file_location("search_corpus", Path(__file__).with_name("search_corpus.py"))
assert _spec is not None and _spec.loader is not None
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, required=True)
    parser.add_argument("--queries", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    vocabulary = corpus.load_vocabulary()
    index = SqliteFtsIndex(args.dir / "index.sqlite", cache_size=0)
    documents, adding = corpus.synthetic(args.docs, vocabulary, args.seed), 0.0
    while batch := list(islice(documents, 1000)):
        began = time.perf_counter()
        index.add(batch)
        adding += time.perf_counter() - began
    index.load_facet_columns()
    queries = corpus.query_mix(vocabulary, corpus.sample_of(vocabulary, args.seed), args.queries, args.seed)
    for _, query in queries[:50]:  # warm the file cache
        index.search(query)
    timings: dict[str, list[float]] = {}
    for kind, query in queries:
        began = time.perf_counter()
        index.search(query)
        timings.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
    index.close()
    json.dump({"indexing_s": adding, "docs": args.docs, "timings": timings}, sys.stdout)


if __name__ == "__main__":
    main()
