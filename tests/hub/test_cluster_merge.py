"""A rebuilt cluster index is force-merged before its alias swap (GKSS_SEARCH_MERGE_SEGMENTS), on real
Elasticsearch and OpenSearch, and answers every search as the unmerged index did.

Each engine test runs on the engines with a test cluster (GKSS_TEST_SEARCH_URL,
GKSS_TEST_OPENSEARCH_URL) and skips, saying so, on the others. The load is made to leave several
segments (the new index refreshed every few documents while it loads, as a large load flushes its
buffer), so an index left unmerged shows more than the setting's count.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from hub.cluster_connection import Engine
from hub.search.base import SearchPage, SearchQuery
from hub.search.cluster import MERGE_SEGMENTS, ClusterIndex
from hub.search.factory import open_index
from hub.settings import Settings
from normalizers.resource import Resource
from tests.contract.conftest import CLUSTER_ENGINES, cluster_url, load_corpus, open_cluster_index

REFRESH_EVERY = 9  # documents between the refreshes of the loading index (each leaves a segment)


@pytest.fixture(scope="module")
def corpus() -> list[Resource]:
    return load_corpus()


@pytest.fixture(params=CLUSTER_ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    chosen: Engine = request.param
    return chosen


def opened(engine: Engine, **options: object) -> ClusterIndex:
    name = f"gkss-merge-{uuid.uuid4().hex[:12]}"
    return open_cluster_index(engine, name, retire_after=0, chunk_size=7, **options)


def segmented_load(index: ClusterIndex, resources: list[Resource]) -> Iterator[Resource]:
    """The resources, the index being loaded (the newest version) refreshed every REFRESH_EVERY."""
    for at, resource in enumerate(resources):
        if at and at % REFRESH_EVERY == 0:
            index._refresh(index.versions()[-1])
        yield resource


def queries(corpus: list[Resource]) -> list[SearchQuery]:
    """Searches whose answers must not change: words of the corpus' titles, a filter, no words."""
    words = sorted({w for r in corpus for t in r.title.values() for w in t.split() if len(w) > 4})[:6]
    asked = [SearchQuery(text=w, size=20) for w in words]
    asked.append(SearchQuery(text=f"{words[0]} {words[1]}", size=20))
    asked.append(SearchQuery(type=(corpus[0].type,), size=20))
    asked.append(SearchQuery(size=50, sort="date"))
    return asked


def answers(index: ClusterIndex, asked: list[SearchQuery]) -> list[tuple[int, list[str], object]]:
    pages: list[SearchPage] = [index.search(q) for q in asked]
    return [(p.total, [h.id for h in p.hits], p.facets) for p in pages]


@pytest.mark.parametrize("segments", [1, 2])
def test_rebuild_merges_the_new_index_and_answers_the_same(
    engine: Engine, corpus: list[Resource], segments: int
) -> None:
    reference = opened(engine, merge_segments=0)
    index = opened(engine, merge_segments=segments, shards=2)
    try:
        reference.rebuild(segmented_load(reference, corpus))
        unmerged = reference.segment_counts()
        assert max(unmerged) > 2, unmerged  # the load left several segments: a merge has work to do
        assert index.rebuild(segmented_load(index, corpus)) == len(corpus)
        counts = index.segment_counts()
        assert len(counts) == 2 and max(counts) <= segments and min(counts) >= 1, counts
        asked = queries(corpus)
        assert sum(total for total, _, _ in answers(reference, asked)) > len(corpus)
        assert answers(index, asked) == answers(reference, asked)
        assert index.count() == len(corpus)
    finally:
        for each in (reference, index):
            each.drop()
            each.close()


def test_merge_brings_a_live_index_to_the_count(engine: Engine, corpus: list[Resource]) -> None:
    index = opened(engine)
    try:
        for start in range(0, len(corpus), REFRESH_EVERY):
            index.add(corpus[start : start + REFRESH_EVERY])
            index.refresh()
        assert index.merge_segments == MERGE_SEGMENTS == 0  # the default: not merged
        before = answers(index, queries(corpus))
        assert index.segment_counts()[0] > 1
        index.merge()
        assert index.segment_counts()[0] > 1  # merge() to the default count (0): nothing done
        index.merge(1)
        assert index.segment_counts() == [1]
        assert answers(index, queries(corpus)) == before
    finally:
        index.drop()
        index.close()


def test_the_setting_reaches_the_cluster_index(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GKSS_SEARCH_MERGE_SEGMENTS", "3")
    settings = Settings()
    name = f"gkss-merge-{uuid.uuid4().hex[:12]}"
    index = open_index(cluster_url(engine), tmp_path, name, merge_segments=settings.search_merge_segments)
    try:
        assert isinstance(index, ClusterIndex)
        assert index.merge_segments == 3
    finally:
        index.drop()  # type: ignore[attr-defined]
        index.close()


def test_the_setting_is_a_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GKSS_SEARCH_MERGE_SEGMENTS", raising=False)
    assert Settings().search_merge_segments == MERGE_SEGMENTS
    monkeypatch.setenv("GKSS_SEARCH_MERGE_SEGMENTS", "0")
    assert Settings().search_merge_segments == 0
    for bad in ("-1", "one"):
        monkeypatch.setenv("GKSS_SEARCH_MERGE_SEGMENTS", bad)
        with pytest.raises(ValidationError, match="search_merge_segments"):
            Settings()
