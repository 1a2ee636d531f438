"""On-demand benchmark: cluster bulk indexing vs raw bulk, and search latency under 32 client threads.

Not collected by pytest (``tests/benchmarks`` is in ``norecursedirs``). Run it from the repository::

    URL=$(deploy/local/elasticsearch up --heap 2g)      # or deploy/local/opensearch up --heap 2g
    python tests/benchmarks/bench_search_cluster.py --url $URL --docs 1000000

Documents are synthetic, made by recombining the words of the real contract corpus
(tests/fixtures/contract/corpus.json): document ``i`` takes the languages, type and source of corpus
record ``i mod n`` (the source gets one of five suffixes); per language its title (4-12 words),
description (15-60 words) and subjects (0-3 words) are words drawn from that language's words in the
corpus with their real frequencies (CJK text as 2-4 character pieces of the corpus' CJK titles);
countries (0-2 of 60), GBF targets (0-3 of 23) and a date (2000-2026) are drawn at random. Document
``i`` depends only on ``--seed`` and ``i``.

Cluster (``--backend cluster``, the default; the engine, Elasticsearch or OpenSearch, is read from the
URL's ``GET /``; ``--backend elasticsearch`` / ``opensearch`` names it):

1. Bulk throughput, on the first ``--compare-docs`` documents (default min(docs, 100,000)), after a
   10,000-document warm-up of each: the raw client (the engine client's ``helpers.bulk`` of the already built
   documents, same chunking, into an index with the same settings and mapping) vs the pipeline
   (``ClusterIndex.add`` of the Resources: it builds each document, streams chunks and checks
   every item). They alternate every 10,000 documents (raw, add, raw, add, ...) so neither runs on a
   colder or emptier cluster. Ratio = pipeline docs/s / raw docs/s (target >= 0.8).
2. The pipeline's index is filled up to ``--docs`` by bulk requests of the cached documents
   (``bench_corpus_cache.py``: generated once into ``.cache/bench-cluster/``, one process per CPU) and
   refreshed; this load is not measured. With ``--merge-segments N`` it is then force-merged to N
   segments per shard, as ``gkss reindex`` does with GKSS_SEARCH_MERGE_SEGMENTS=N (default 0, as both
   leave an index: not merged), the time it took printed.
3. Search latency: ``--queries`` queries from a fixed mix (one word, two words, a word and a type,
   a word sorted by date, a prefix, a country filter, no text at all; facets on, size 10), each
   timed from call to return (parsing the Resources and the hub's highlights included), at 1 client
   and at ``--threads`` clients sharing one ClusterIndex (threads of this process; with
   ``--processes P`` also split among P forked processes, each with its own client, so the driver's
   GIL is not the limit). Two floors, same clients and queries in the same run, through the same
   client: a bare ``match_all`` size=10, and a bare ``multi_match`` of the query's text on the hub's
   field set (``cluster_query.SEARCH_FIELDS``: every field a word is looked up in; ``match_all`` for
   the queries without text), size=10, no facets, no highlight; for reference, the same on the
   matching fields alone (``all_text`` and ``text.*``) and on the fields the hub matched on before
   the per-language text fields (``LEGACY_FIELDS``, still indexed). The hub
   is measured three times: exact counts (the API's default), estimated counts with the exact facets
   of a search under the bound asked beside the page (as before 2026-12-07 evening), and estimated
   counts as the portal and the widget ask them (``counts=estimate``, those facets asked after).
   Each is reported for the whole mix and for the queries with text alone; then how near the
   estimates come to the exact counts (``cluster_estimate_accuracy.py``).
4. What counting apart buys: the queries without words, one thread, each run both ways in turn
   (total and facets in the page's request, or in a cacheable size-0 request beside it).
5. Where the time goes (``cluster_breakdown.py``): the hub's request for the queries with text, one
   thread, with one part removed or changed at a time, against the floor in the same loop.

``--keep`` keeps the loaded index, ``--load-only`` stops after step 2 and ``--latency-only`` after 3;
``--existing <alias>`` runs steps 3-5 on a kept index (so a 1,000,000-document index is loaded once),
after adding the documents it lacks up to ``--docs`` with ``--grow`` (the scaling from one size to the next),
and force-merging it first when ``--merge-segments`` is given.

``--load-breakdown`` (with ``--existing``) runs, instead of steps 3-5, each request of the portal's
query alone at ``--threads`` clients (``cluster_load_breakdown.py``).

The embedded engine has its own benchmark, ``bench_search.py``.

It measures and exits 0, printing the figures and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``hub`` and ``normalizers`` importable
    sys.path.insert(0, str(ROOT))

from hub.search.base import SearchQuery  # noqa: E402
from hub.search.cluster import MERGE_SEGMENTS  # noqa: E402
from normalizers.resource import Provenance, Resource  # noqa: E402
from tests.benchmarks.bench_corpus_cache import fill  # noqa: E402
from tests.benchmarks.cluster_latency import search_latency  # noqa: E402
from tests.benchmarks.cluster_load_breakdown import load_breakdown  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "contract" / "corpus.json"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_WORD = re.compile(r"[^\W\d_]+")
TARGETS = [f"GBF-TARGET-{n:02d}" for n in range(1, 24)]
ROUND = 10_000  # documents per alternation of raw bulk and add


class Vocabulary:
    """The real corpus' words per language (repeated as often as they occur) and its CJK pieces."""

    def __init__(self, corpus: list[Resource]) -> None:
        self.corpus = corpus
        self.words: dict[str, list[str]] = {}
        self.cjk: list[str] = []
        for resource in corpus:
            for field in (resource.title, resource.description):
                for lang, text in field.items():
                    self.words.setdefault(lang, []).extend(_WORD.findall(_CJK.sub(" ", text)))
                    self.cjk.extend(run for run in _CJK.findall(text) if len(run) >= 2)
        everything = [w for words in self.words.values() for w in words]
        for lang in list(self.words):
            if len(self.words[lang]) < 50:  # too few real words: borrow from every language
                self.words[lang] = self.words[lang] + everything
        self.query_words = [w for w in self.words.get("en", everything) if len(w) >= 4]

    def text(self, rng: random.Random, lang: str, low: int, high: int) -> str:
        if lang in ("zh", "ja") and self.cjk:
            run = rng.choice(self.cjk)
            pieces = [run[i : i + rng.randint(2, 4)] for i in range(0, len(run), 3)]
            return "".join(rng.choice(pieces) for _ in range(rng.randint(low, high)))
        words = self.words.get(lang) or self.words["en"]
        return " ".join(rng.choice(words) for _ in range(rng.randint(low, high)))


def countries() -> list[str]:
    import pycountry

    return sorted(str(c.alpha_2) for c in pycountry.countries)[::4][:60]


def make(i: int, vocabulary: Vocabulary, seed: int, pool: list[str]) -> Resource:
    """Synthetic document ``i`` (a function of seed and i only)."""
    rng = random.Random(seed * 1_000_003 + i)
    template = vocabulary.corpus[i % len(vocabulary.corpus)]
    languages = list(template.title) or ["en"]
    source = f"{template.source}-{i % 5}"
    native = f"bench-{i:07d}"
    return Resource(
        id=f"{source}-{native}",
        source=source,
        native_id=native,
        url=f"https://bench.example.invalid/{i}",
        title={lang: vocabulary.text(rng, lang, 4, 12) for lang in languages},
        description={lang: vocabulary.text(rng, lang, 15, 60) for lang in languages},
        type=template.type,
        published=date(2000, 1, 1) + timedelta(days=rng.randrange(27 * 365)),
        subjects=[vocabulary.text(rng, languages[0], 1, 2) for _ in range(rng.randint(0, 3))],
        languages=[lang for lang in languages if lang != "und"],
        countries=sorted({rng.choice(pool[: rng.choice((8, 60))]) for _ in range(rng.randint(0, 2))}),
        gbf_targets=sorted({rng.choice(TARGETS[: rng.choice((5, 23))]) for _ in range(rng.randint(0, 3))}),
        provenance=Provenance(
            source=source, protocol="bench", native_id=native, payload_hash="0" * 64, content_type="bench"
        ),
    )


def maker(vocabulary: Vocabulary, seed: int) -> Callable[[int], dict[str, Any]]:
    """Cluster document ``i`` (what ``ClusterIndex.add`` sends for synthetic Resource ``i``)."""
    from hub.search.cluster_mapping import document

    pool = countries()
    return lambda i: document(make(i, vocabulary, seed, pool))


def stream(start: int, stop: int, vocabulary: Vocabulary, seed: int) -> Iterator[Resource]:
    pool = countries()
    for i in range(start, stop):
        yield make(i, vocabulary, seed, pool)


def query_mix(vocabulary: Vocabulary, n: int, seed: int) -> list[SearchQuery]:
    rng = random.Random(seed)
    words = vocabulary.query_words
    types = sorted({r.type for r in vocabulary.corpus})
    pool = countries()[:8]
    kinds: list[Callable[[], SearchQuery]] = [
        lambda: SearchQuery(text=rng.choice(words)),
        lambda: SearchQuery(text=f"{rng.choice(words)} {rng.choice(words)}"),
        lambda: SearchQuery(text=rng.choice(words), type=(rng.choice(types),)),
        lambda: SearchQuery(text=rng.choice(words), sort="date"),
        lambda: SearchQuery(text=rng.choice(words)[:4] + "*"),
        lambda: SearchQuery(country=(rng.choice(pool),)),
        lambda: SearchQuery(offset=rng.choice((0, 10, 20))),
    ]
    return [kinds[k % len(kinds)]() for k in range(n)]


def settle(index: Any, limit: float = 600.0) -> None:
    """Wait until the cluster has no merges running (both latency runs then see the same segments)."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        stats = index.client.indices.stats(index=index.name, metric="merge")
        if not stats["_all"]["total"]["merges"]["current"]:
            break
        time.sleep(2)
    print(f"  merges settled after {time.perf_counter() - start:.0f} s", flush=True)


def merged(index: Any, segments: int | None) -> None:
    """Force-merge the index to ``segments`` per shard (as ``gkss reindex`` does before its swap; None
    or 0: leave it as the merge policy has it), timed; the segment counts before and after."""
    print(f"  segments per primary shard: {index.segment_counts()}", flush=True)
    if segments:
        start = time.perf_counter()
        index.merge(segments)
        took = time.perf_counter() - start
        print(f"  force-merged to {segments} per shard in {took:.0f} s: {index.segment_counts()}", flush=True)


def bench_cluster(args: argparse.Namespace, vocabulary: Vocabulary) -> None:
    from hub.cluster_connection import ClusterConnection, detect_engine
    from hub.search.cluster import ClusterIndex, document
    from hub.search.cluster_open import index_class

    engine = detect_engine(
        args.url, ClusterConnection.parse(args.backend if args.backend != "cluster" else "auto")
    )
    if engine == "opensearch":
        from opensearchpy import helpers
    else:
        from elasticsearch import helpers  # type: ignore[no-redef]
    print(f"engine {engine} at {args.url}", flush=True)
    kind = index_class(engine)
    tag = uuid.uuid4().hex[:8]
    pipeline = kind(args.url, args.existing or f"bench-add-{tag}", chunk_size=args.chunk)
    if args.existing:  # an index a --keep run loaded: search latency only
        try:
            held = pipeline.count()
            print(f"reusing {args.existing}: {held:,} documents", flush=True)
            if args.grow and args.docs > held:  # documents held..docs-1 added first (same generator)
                fill(pipeline, maker(vocabulary, args.seed), CORPUS, args.seed, held, args.docs)
                settle(pipeline)
            args.docs = pipeline.count()
            merged(pipeline, args.merge_segments)
            if args.load_breakdown:
                from hub.search.cluster_query import SEARCH_FIELDS

                queries = query_mix(vocabulary, args.queries, args.seed)
                load_breakdown(pipeline, queries, SEARCH_FIELDS, args.threads)
            else:
                search_latency(args, query_mix(vocabulary, args.queries, args.seed), pipeline)
        finally:
            pipeline.close()
        return
    print(f"pipeline index {pipeline.name}", flush=True)
    raw = kind(args.url, f"bench-raw-{tag}", chunk_size=args.chunk)
    warm = kind(args.url, f"bench-warm-{tag}", chunk_size=args.chunk)
    try:
        (raw_target,) = raw.physical_indices()
        compare = min(args.compare_docs or min(args.docs, 100_000), args.docs)
        print(f"generating {compare:,} documents for the bulk comparison (untimed) ...", flush=True)
        resources = list(stream(0, compare, vocabulary, args.seed))
        built = [document(r) for r in resources]

        def raw_bulk(docs: list[dict[str, Any]], target: str) -> float:
            actions = ({"_index": target, "_id": d["id"], "_source": d} for d in docs)
            start = time.perf_counter()
            helpers.bulk(raw.client, actions, chunk_size=args.chunk, max_chunk_bytes=8 * 1024 * 1024)
            return time.perf_counter() - start

        def add(index: ClusterIndex, batch: list[Resource]) -> float:
            start = time.perf_counter()
            assert index.add(batch) == len(batch)
            return time.perf_counter() - start

        (warm_target,) = warm.physical_indices()
        warm_docs = min(10_000, compare)
        raw_bulk(built[:warm_docs], warm_target)
        add(warm, resources[:warm_docs])
        warm.drop()
        raw_time = add_time = 0.0
        for start in range(0, compare, ROUND):  # alternate, so neither side gets a warmer cluster
            raw_time += raw_bulk(built[start : start + ROUND], raw_target)
            add_time += add(pipeline, resources[start : start + ROUND])
        del resources, built
        raw_rate, add_rate = compare / raw_time, compare / add_time
        print(f"bulk indexing, {compare:,} documents, chunks of {args.chunk}:")
        print(f"  raw helpers.bulk           {raw_rate:10,.0f} docs/s")
        print(f"  ClusterIndex.add           {add_rate:10,.0f} docs/s")
        print(f"  ratio add/raw              {add_rate / raw_rate:10.2f}  (target >= 0.8)", flush=True)
        raw.drop()

        fill(pipeline, maker(vocabulary, args.seed), CORPUS, args.seed, compare, args.docs)
        assert pipeline.count() == args.docs, pipeline.count()
        print(f"loaded {args.docs:,} documents (the rest by bulk from the cache)")
        settle(pipeline)
        merged(pipeline, MERGE_SEGMENTS if args.merge_segments is None else args.merge_segments)
        if not args.load_only:
            search_latency(args, query_mix(vocabulary, args.queries, args.seed), pipeline)
    finally:
        for index in (warm, raw, pipeline):
            if not (args.keep and index is pipeline):
                index.drop()
            index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("cluster", "elasticsearch", "opensearch"), default="cluster")
    parser.add_argument("--url", default=os.environ.get("GKSS_TEST_SEARCH_URL", "http://127.0.0.1:9201"))
    parser.add_argument("--docs", type=int, help="default 1,000,000")
    parser.add_argument("--compare-docs", type=int, default=0, help="documents for the bulk comparison")
    parser.add_argument("--chunk", type=int, default=1000, help="documents per bulk request")
    parser.add_argument("--threads", type=int, default=32, help="clients of the concurrent run")
    parser.add_argument("--processes", type=int, default=1, help="processes the clients are split among")
    parser.add_argument("--queries", type=int, default=6400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the loaded cluster index")
    parser.add_argument("--existing", help="alias of a kept index: search latency only")
    parser.add_argument("--load-only", action="store_true", help="bulk comparison and load, no search")
    parser.add_argument(
        "--latency-only", action="store_true", help="steps 3 and the estimates' accuracy only"
    )
    parser.add_argument(
        "--load-breakdown",
        action="store_true",
        help="with --existing: only each request of the portal's query alone at --threads clients",
    )
    parser.add_argument(
        "--grow", action="store_true", help="with --existing: add documents up to --docs first"
    )
    parser.add_argument(
        "--merge-segments",
        type=int,
        help=f"force-merge the loaded index to N segments per shard, as gkss reindex does with "
        f"GKSS_SEARCH_MERGE_SEGMENTS=N (default {MERGE_SEGMENTS}: not merged); with --existing: when given",
    )
    args = parser.parse_args()
    args.docs = args.docs or 1_000_000
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    vocabulary = Vocabulary([Resource.model_validate(item) for item in data["resources"]])
    print(f"backend {args.backend}, {os.cpu_count()} CPUs, corpus of {len(vocabulary.corpus)} real records")
    bench_cluster(args, vocabulary)


if __name__ == "__main__":
    main()
