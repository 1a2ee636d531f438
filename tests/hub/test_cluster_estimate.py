"""Estimated counts (``counts=estimate``) on real Elasticsearch and OpenSearch, the bound lowered so a
small corpus crosses it: the same page as exact counting, totals and facets near the true counts
computed from the input, the answer saying which it gave, and an index without sample buckets
counting exactly.

Each test runs on every engine with a test cluster (GKSS_TEST_SEARCH_URL, GKSS_TEST_OPENSEARCH_URL)
and skips, saying so, on the others.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace

import pytest

from hub.cluster_connection import Engine
from hub.search.base import SearchQuery
from hub.search.cluster import ClusterIndex
from hub.search.cluster_mapping import ANALYSIS, MAPPINGS, SAMPLE_FIELD, document, sample_bucket
from normalizers.resource import Resource
from tests.contract.conftest import CLUSTER_ENGINES, load_corpus, open_cluster_index

WORD = "quokkaland"  # in the titles of every third document, repeated 1-4 times (scores differ)
TIED = "wombatia"  # the same title text in every fifth document (scores tie)
RARE = "rarewort"  # in every twentieth title: fewer matches than the bound
DOCS = 900
BOUND = 60  # totals counted exactly up to here
PERCENT = 40  # the share of sample buckets read
TYPES = ("report", "dataset", "policy", "event")
COUNTRIES = ("KE", "BR", "FR", "VN", "PE")


def make_corpus() -> list[Resource]:
    """DOCS records made from the contract corpus' real ones: new ids, a title with WORD in every third,
    TIED in every fifth, a type and a country cycling."""
    base = load_corpus()
    made = []
    for i in range(DOCS):
        template = base[i % len(base)]
        words = ["river", "survey", str(i)]
        if i % 3 == 0:
            words += [WORD] * (1 + (i // 3) % 4) + ["basin"] * ((i // 12) % 3)
        if i % 5 == 0:
            words.append(TIED)
        if i % 20 == 0:
            words.append(RARE)
        made.append(
            template.model_copy(
                update={
                    "id": f"est-{i:04d}",
                    "native_id": f"est-{i:04d}",
                    "title": {"en": " ".join(words)},
                    "type": TYPES[i % len(TYPES)],
                    "countries": [COUNTRIES[i % len(COUNTRIES)]],
                }
            )
        )
    return made


@pytest.fixture(scope="module")
def corpus() -> list[Resource]:
    return make_corpus()


@pytest.fixture(params=CLUSTER_ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    chosen: Engine = request.param
    return chosen


@pytest.fixture
def cluster(engine: Engine, corpus: list[Resource]) -> Iterator[ClusterIndex]:
    name = f"gkss-est-{uuid.uuid4().hex[:12]}"
    index = open_cluster_index(engine, name, retire_after=0, estimate_above=BOUND, sample_percent=PERCENT)
    try:
        assert index.add(corpus) == len(corpus)
        index.refresh()
        yield index
    finally:
        index.drop()
        index.close()


def matching(corpus: list[Resource], word: str) -> list[Resource]:
    return [r for r in corpus if word in r.title["en"].split()]


def tolerance(n: int) -> float:
    """Three standard deviations of a count of ``n`` estimated from a PERCENT % sample."""
    share = PERCENT / 100
    return 3 * math.sqrt(n * (1 - share) / share)


def in_sample(resource: Resource) -> bool:
    return sample_bucket(resource.id) < PERCENT  # 100 buckets: the first PERCENT of them


def test_estimated_counts_above_the_bound(cluster: ClusterIndex, corpus: list[Resource]) -> None:
    true = matching(corpus, WORD)
    assert len(true) == DOCS // 3 > BOUND
    exact = cluster.search(SearchQuery(text=WORD))
    estimated = cluster.search(SearchQuery(text=WORD, counts="estimate"))
    assert (exact.counts, exact.total) == ("exact", len(true))
    assert exact.facets["type"] == dict(Counter(r.type for r in true))
    assert estimated.counts == "estimated"
    sampled = [r for r in true if in_sample(r)]
    assert estimated.total == round(len(sampled) * 100 / PERCENT)  # the sample's count, scaled
    assert abs(estimated.total - len(true)) <= tolerance(len(true))
    for facet, values in (("type", [r.type for r in true]), ("country", [r.countries[0] for r in true])):
        counted = Counter(values)
        in_it = Counter(v for r, v in zip(true, values, strict=True) if in_sample(r))
        assert estimated.facets[facet] == {k: round(n * 100 / PERCENT) for k, n in in_it.items()}
        for key, n in counted.items():  # every value holds 60-75 of the matches
            assert abs(estimated.facets[facet][key] - n) <= tolerance(n), (facet, key, n)


def ids(page: object) -> list[str]:
    return [hit.id for hit in page.hits]  # type: ignore[attr-defined]


@pytest.mark.parametrize("word", [WORD, TIED, f"{WORD} basin"])
def test_estimated_pages_are_the_exact_pages(
    cluster: ClusterIndex, corpus: list[Resource], word: str
) -> None:
    """The same hits in the same order, page after page by number and by cursor, whether the scores
    tie at the page's edges (TIED: every title alike) or not."""
    for sort in ("relevance", "date"):
        first = SearchQuery(text=word, sort=sort, size=7)  # type: ignore[arg-type]
        for offset in (0, 7, 14):
            exact = cluster.search(replace(first, offset=offset))
            estimated = cluster.search(replace(first, offset=offset, counts="estimate"))
            assert ids(estimated) == ids(exact) and len(exact.hits) == 7, (sort, offset)
            assert [h.sort_key for h in estimated.hits] == [h.sort_key for h in exact.hits]
        after = cluster.search(replace(first, counts="estimate")).hits[-1].sort_key
        by_cursor = cluster.search(replace(first, after=after, counts="estimate"))
        assert ids(by_cursor) == ids(cluster.search(replace(first, offset=7))), sort


def test_under_the_bound_and_without_words_counts_are_exact(
    cluster: ClusterIndex, corpus: list[Resource]
) -> None:
    few = matching(corpus, RARE)
    assert 0 < len(few) <= BOUND
    page = cluster.search(SearchQuery(text=RARE, counts="estimate"))
    assert (page.counts, page.total) == ("exact", len(few))
    assert page.facets["type"] == dict(Counter(r.type for r in few))
    assert page.facets["country"] == dict(Counter(r.countries[0] for r in few))
    everything = cluster.search(SearchQuery(counts="estimate"))
    assert (everything.counts, everything.total) == ("exact", DOCS)
    assert everything.facets["country"] == dict(Counter(r.countries[0] for r in corpus))


def test_an_index_without_sample_buckets_counts_exactly(engine: Engine, corpus: list[Resource]) -> None:
    """Documents an older hub wrote (no sample bucket): searches asking for estimates count exactly."""
    name = f"gkss-est-{uuid.uuid4().hex[:12]}"
    older = open_cluster_index(engine, name, retire_after=0)
    try:
        old = f"{name}-v1-20250101000000000000"
        properties = {k: v for k, v in MAPPINGS["properties"].items() if k != SAMPLE_FIELD}
        older._create(
            old,
            {"index": {"number_of_shards": 1, "analysis": ANALYSIS}},
            {**MAPPINGS, "properties": properties},
        )
        older._swap(older.physical_indices(), old)
        actions = [
            {
                "_op_type": "index",
                "_id": r.id,
                "_source": {k: v for k, v in document(r).items() if k != SAMPLE_FIELD},
            }
            for r in corpus
        ]
        assert older._bulk(old, actions) == len(corpus)
        older.refresh()
        opened = open_cluster_index(engine, name, estimate_above=BOUND, sample_percent=PERCENT)
        try:
            assert opened.sampled is False
            page = opened.search(SearchQuery(text=WORD, counts="estimate"))
            assert (page.counts, page.total) == ("exact", DOCS // 3)
        finally:
            opened.close()
    finally:
        older.drop()
        older.close()
