"""The cluster index keeps its documents in sample-bucket order (index sorting), so estimated counts
read a sample at a cost proportional to its size; an index made before that order estimates the same.

Each test runs on every engine with a test cluster (GKSS_TEST_SEARCH_URL, GKSS_TEST_OPENSEARCH_URL)
and skips, saying so, on the others.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any, cast

from hub.cluster_connection import Engine
from hub.search.base import SearchQuery
from hub.search.cluster import ClusterIndex
from hub.search.cluster_mapping import ANALYSIS, MAPPINGS, sample_bucket
from normalizers.resource import Resource
from tests.contract.conftest import open_cluster_index
from tests.hub.test_cluster_estimate import BOUND, PERCENT, WORD, cluster, corpus, engine, in_sample, matching

__all__ = ["cluster", "corpus", "engine"]  # the fixtures, shared with test_cluster_estimate


def client_of(index: ClusterIndex) -> Any:
    """The engine's own client of a cluster index (Elasticsearch or OpenSearch)."""
    return cast(Any, index).client


def test_a_new_index_holds_its_documents_in_sample_bucket_order(
    cluster: ClusterIndex, corpus: list[Resource]
) -> None:
    """In index order (``_doc``, one segment) the documents come bucket after bucket (the keyword's
    order: "0", "1", "10", ...), each bucket's documents together."""
    (physical,) = cluster.physical_indices()
    client_of(cluster).indices.forcemerge(index=physical, max_num_segments=1)
    cluster.refresh()
    answer = client_of(cluster).search(
        index=physical,
        body={"query": {"match_all": {}}, "sort": ["_doc"], "size": len(corpus), "_source": False},
    )
    buckets = [str(sample_bucket(hit["_id"])) for hit in answer["hits"]["hits"]]
    assert len(buckets) == len(corpus)
    assert buckets == sorted(buckets)
    assert len(set(buckets)) > 50  # 900 documents spread over most of the 100 buckets


def test_an_index_made_before_the_sample_order_estimates_the_same(
    engine: Engine, corpus: list[Resource]
) -> None:
    """An index written with sample buckets but without the order (made before it) answers estimated
    counts as the sorted one does; ``gkss reindex`` makes it sorted."""
    name = f"gkss-est-{uuid.uuid4().hex[:12]}"
    older = open_cluster_index(engine, name, retire_after=0)
    try:
        old = f"{name}-v1-20250101000000000000"
        older._create(old, {"index": {"number_of_shards": 1, "analysis": ANALYSIS}}, MAPPINGS)
        older._swap(older.physical_indices(), old)
        assert older.add(corpus) == len(corpus)
        older.refresh()
        settings = client_of(older).indices.get_settings(index=old)[old]["settings"]["index"]
        assert "sort" not in settings
        opened = open_cluster_index(engine, name, estimate_above=BOUND, sample_percent=PERCENT)
        try:
            assert opened.sampled is True
            page = opened.search(SearchQuery(text=WORD, counts="estimate"))
            sampled = [r for r in matching(corpus, WORD) if in_sample(r)]
            assert page.counts == "estimated"
            assert page.total == round(len(sampled) * 100 / PERCENT)
            in_it = Counter(r.type for r in sampled)
            assert page.facets["type"] == {k: round(n * 100 / PERCENT) for k, n in in_it.items()}
            opened.rebuild(corpus)
            (rebuilt,) = opened.physical_indices()
            sort = client_of(opened).indices.get_settings(index=rebuilt)[rebuilt]["settings"]["index"]["sort"]
            assert sort["field"] in ("sample", ["sample"])
            assert opened.search(SearchQuery(text=WORD, counts="estimate")).total == page.total
        finally:
            opened.close()
    finally:
        older.drop()
        older.close()
