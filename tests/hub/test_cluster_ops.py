"""Operating the cluster index on real Elasticsearch and OpenSearch: zero-downtime rebuild, bulk errors,
drift, failover.

Each test runs on every engine with a test cluster (GKSS_TEST_SEARCH_URL, GKSS_TEST_OPENSEARCH_URL;
``URL=$(deploy/local/elasticsearch up)``) and skips, saying so, on the others; the failover test needs
GKSS_TEST_SEARCH_NODES >= 3 nodes on GKSS_TEST_SEARCH_URL's cluster. The CLI drift test runs on the
embedded index and needs neither.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import BadRequestError
from opensearchpy.exceptions import RequestError
from typer.testing import CliRunner

from harvesters.records import RawRecord
from hub.cli import app
from hub.cluster_connection import Engine
from hub.search.base import SearchIndex, SearchQuery
from hub.search.cluster import ClusterIndex, IndexWriteError, document
from hub.search.factory import EMBEDDED_DIRECTORY, open_index
from hub.search.maintenance import Drift, check, reindex, repair
from hub.search.tantivy_index import TantivyIndex
from hub.store import Store
from hub.store.store import NormalisedItem
from normalizers.resource import Resource
from tests.contract.conftest import CLUSTER_ENGINES, cluster_url, load_corpus, open_cluster_index

ROOT = Path(__file__).resolve().parents[2]
NODES_ENV = "GKSS_TEST_SEARCH_NODES"


@pytest.fixture(scope="module")
def corpus() -> list[Resource]:
    return load_corpus()


def unique_name() -> str:
    return f"gkss-ops-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=CLUSTER_ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    chosen: Engine = request.param
    return chosen


@pytest.fixture
def cluster(engine: Engine) -> Iterator[ClusterIndex]:
    index = open_cluster_index(engine, unique_name(), retire_after=0.3, chunk_size=7)
    try:
        yield index
    finally:
        index.drop()
        index.close()


def version_of(name: str) -> int:
    match = re.search(r"-v(\d+)-\d+$", name)
    assert match, name
    return int(match.group(1))


def fill_store(path: Path, resources: list[Resource]) -> Store:
    """A real store holding the resources, written the way the pipeline writes them."""
    store = Store(f"sqlite:///{path}")
    store.create_all()
    for source in sorted({r.source for r in resources}):
        store.add_source(source, "feed", f"https://{source}.example.invalid/feed", {})
        run = store.start_run(source, True, None)
        items = [
            NormalisedItem(
                RawRecord(source, r.native_id, r.provenance.content_type, r.model_dump_json().encode()), r
            )
            for r in resources
            if r.source == source
        ]
        result = store.apply_batch(source, run.id, items)
        assert result.added == len(items)
    return store


# --- versioned indices behind the alias --------------------------------------------------------


def test_alias_points_at_one_versioned_index(cluster: ClusterIndex, corpus: list[Resource]) -> None:
    (first,) = cluster.physical_indices()
    assert re.fullmatch(rf"{re.escape(cluster.name)}-v1-\d{{20}}", first)
    assert cluster._alias_exists(cluster.name)
    cluster.add(corpus)
    cluster.refresh()
    cluster.reset()
    (second,) = cluster.physical_indices()
    assert version_of(second) == 2
    assert not cluster._index_exists(first)
    assert cluster.count() == 0
    assert cluster.versions() == [second]


def test_factory_opens_the_cluster_under_the_named_alias(tmp_path: Path, engine: Engine) -> None:
    name = unique_name()
    index = open_index(cluster_url(engine), tmp_path, name)
    try:
        assert isinstance(index, ClusterIndex)
        assert index.engine == engine  # read from what the URL's GET / answers
        assert index.name == name
        assert index.physical_indices()[0].startswith(f"{name}-v1-")
    finally:
        assert isinstance(index, ClusterIndex)
        index.drop()
        index.close()


def test_an_index_made_before_eager_facet_ordinals_gets_them_when_opened(
    cluster: ClusterIndex, corpus: list[Resource], engine: Engine
) -> None:
    """The facet fields' ``eager_global_ordinals`` is put on an index made without it (an updatable
    mapping parameter: no rebuild); its documents keep answering with the same facets."""
    from hub.search.base import FACET_FIELDS
    from hub.search.cluster_mapping import ANALYSIS, KEYWORD, MAPPINGS

    name = unique_name()
    old = f"{name}-v1-20250101000000000000"
    before = {**MAPPINGS, "properties": {**MAPPINGS["properties"], **dict.fromkeys(FACET_FIELDS, KEYWORD)}}
    cluster._create(old, {"index": {"number_of_shards": 1, "analysis": ANALYSIS}}, before)
    cluster._update_aliases([{"add": {"index": old, "alias": name}}])
    opened = open_cluster_index(engine, name)
    try:
        opened.add(corpus)
        opened.refresh()
        properties = opened.client.indices.get_mapping(index=old)[old]["mappings"]["properties"]
        assert all(properties[f].get("eager_global_ordinals") is True for f in FACET_FIELDS), properties
        page = opened.search(SearchQuery(size=0))
        assert page.total == len(corpus)
        assert sum(page.facets["type"].values()) == len(corpus)
    finally:
        opened.drop()
        opened.close()


def test_rebuild_swaps_the_alias_with_no_downtime(cluster: ClusterIndex, corpus: list[Resource]) -> None:
    assert cluster.add(corpus) == len(corpus)
    cluster.refresh()
    (old,) = cluster.physical_indices()
    marker = "rebuildmarkerword"
    rebuilt = [r.model_copy(update={"subjects": [*r.subjects, marker]}) for r in corpus]

    def slow() -> Iterator[Resource]:
        for resource in rebuilt:
            time.sleep(0.03)
            yield resource

    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["written"] = cluster.rebuild(slow())
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    totals: list[int] = []
    marked_while_loading: list[int] = []
    while worker.is_alive():
        loading = len(cluster.versions()) > 1
        totals.append(cluster.search(SearchQuery(size=0, facets=False)).total)
        marked = cluster.search(SearchQuery(text=marker, size=0, facets=False)).total
        if loading and cluster.physical_indices() == [old]:
            marked_while_loading.append(marked)
    worker.join()
    assert "error" not in outcome, outcome
    assert outcome["written"] == len(corpus)
    assert len(totals) > 10
    assert set(totals) == {len(corpus)}  # every search during the load saw the whole old index
    assert marked_while_loading and set(marked_while_loading) == {0}  # ... and only the old index
    (new,) = cluster.physical_indices()
    assert new != old
    assert version_of(new) == version_of(old) + 1
    assert not cluster._index_exists(old)
    assert cluster.search(SearchQuery(text=marker, size=0)).total == len(corpus)
    assert cluster.count() == len(corpus)


def test_failed_rebuild_keeps_the_old_index(cluster: ClusterIndex, corpus: list[Resource]) -> None:
    cluster.add(corpus)
    cluster.refresh()
    (old,) = cluster.physical_indices()
    bad = corpus[3].model_copy(update={"countries": ["X" * 40_000]})  # an immense keyword term
    with pytest.raises(IndexWriteError) as caught:
        cluster.rebuild([*corpus[:3], bad, *corpus[4:]])
    assert [rid for rid, _ in caught.value.failures] == [bad.id]
    assert cluster.physical_indices() == [old]
    assert cluster.versions() == [old]
    assert cluster.count() == len(corpus)


# --- bulk errors -------------------------------------------------------------------------------


def test_rejected_documents_are_listed_after_the_batch(cluster: ClusterIndex, corpus: list[Resource]) -> None:
    good = corpus[:12]
    bad = corpus[20].model_copy(update={"countries": ["X" * 40_000]})
    with pytest.raises(IndexWriteError) as caught:
        cluster.add([*good[:5], bad, *good[5:]])
    error = caught.value
    assert error.written == len(good)  # the rest of the batch (two chunks of 7) was written
    assert [rid for rid, _ in error.failures] == [bad.id]
    # OpenSearch names the immense term, Elasticsearch the field it failed to parse
    assert error.failures[0][1].split(":")[0] in {"illegal_argument_exception", "document_parsing_exception"}
    assert bad.id in str(error)
    cluster.refresh()
    assert sorted(cluster.ids()) == sorted(r.id for r in good)


def test_strict_mapping_rejects_unknown_fields_per_item(
    cluster: ClusterIndex, corpus: list[Resource]
) -> None:
    fine = {"_op_type": "index", "_id": corpus[0].id, "_source": document(corpus[0])}
    unknown = {**document(corpus[1]), "not_in_the_mapping": "x"}
    wrong = {"_op_type": "index", "_id": corpus[1].id, "_source": unknown}
    with pytest.raises(IndexWriteError) as caught:
        cluster._bulk(cluster.name, [fine, wrong])
    assert caught.value.written == 1
    (failure,) = caught.value.failures
    assert failure[0] == corpus[1].id
    assert "strict_dynamic_mapping_exception" in failure[1]


def test_deep_pages_use_search_after_where_from_size_is_refused(
    corpus: list[Resource], engine: Engine
) -> None:
    index = open_cluster_index(engine, unique_name(), max_result_window=10)
    try:
        index.add(corpus)
        index.refresh()
        with pytest.raises((RequestError, BadRequestError)):
            index._raw_search(index.name, {"from": 15, "size": 5})
        page = index.search(SearchQuery(sort="date", offset=15, size=5))
        ordered = sorted(corpus, key=lambda r: r.id)
        ordered.sort(key=lambda r: r.display_date() or "", reverse=True)
        assert [h.id for h in page.hits] == [r.id for r in ordered[15:20]]
    finally:
        index.drop()
        index.close()


# --- drift against the store -------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*CLUSTER_ENGINES, "tantivy"])
def test_check_reports_exact_drift_and_repair_clears_it(
    kind: str, tmp_path: Path, corpus: list[Resource]
) -> None:
    store = fill_store(tmp_path / "store.sqlite", corpus)
    index: SearchIndex
    if kind in CLUSTER_ENGINES:
        index = open_cluster_index(
            "opensearch" if kind == "opensearch" else "elasticsearch", unique_name(), retire_after=0
        )
    else:
        index = TantivyIndex(tmp_path / "index")
    try:
        assert reindex(store, index, batch=16) == len(corpus)
        assert check(store, index, batch=16) == Drift()
        deleted = sorted(r.id for r in corpus[5:8])
        changed = corpus[30].model_copy(update={"title": {"en": "Tampered title"}})
        stray = corpus[40].model_copy(update={"id": "stray-" + corpus[40].id})
        if isinstance(index, ClusterIndex):  # behind the hub's back, straight to the cluster
            for rid in deleted:
                index.client.delete(index=index.name, id=rid)
        else:
            index.delete(deleted)
        index.add([changed, stray])
        index.refresh()
        drift = check(store, index, batch=16)
        assert drift == Drift(missing=deleted, extra=[stray.id], stale=[changed.id])
        assert repair(store, index, drift) == 5
        assert check(store, index, batch=16) == Drift()
        assert index.get(changed.id) == corpus[30]
        assert index.get(stray.id) is None
        assert index.count() == len(corpus)
    finally:
        drop = getattr(index, "drop", None)
        if drop is not None:
            drop()
        index.close()
        store.close()


def test_cli_reindex_and_check(
    tmp_path: Path, corpus: list[Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    database = tmp_path / "store.sqlite"
    fill_store(database, corpus).close()
    monkeypatch.delenv("GKSS_SEARCH_URL", raising=False)
    monkeypatch.setenv("GKSS_HOME", str(home))
    monkeypatch.setenv("GKSS_DATABASE_URL", f"sqlite:///{database}")
    runner = CliRunner()
    result = runner.invoke(app, ["reindex"])
    assert result.exit_code == 0, result.output
    assert f"reindexed {len(corpus)}" in result.output
    result = runner.invoke(app, ["index", "check", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"missing": 0, "extra": 0, "stale": 0}
    embedded = TantivyIndex(home / EMBEDDED_DIRECTORY)
    gone = sorted(r.id for r in corpus[:2])
    embedded.delete(gone)
    embedded.close()
    result = runner.invoke(app, ["index", "check"])
    assert result.exit_code == 1
    assert "missing=2 extra=0 stale=0" in result.stdout
    result = runner.invoke(app, ["index", "check", "--repair", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["missing"] == gone
    assert data["repaired"] == 2
    assert data["remaining"] == {"missing": 0, "extra": 0, "stale": 0}


# --- a node goes away --------------------------------------------------------------------------


def cluster_script(engine: Engine, *args: str) -> None:
    subprocess.run([str(ROOT / "deploy" / "local" / engine), *args], check=True, timeout=240)


def test_search_survives_a_stopped_node(corpus: list[Resource], engine: Engine) -> None:
    url = cluster_url(engine)
    nodes = int(os.environ.get(NODES_ENV) or 1)
    if url != os.environ.get("GKSS_TEST_SEARCH_URL") or nodes < 3:
        pytest.skip(
            f"{NODES_ENV} >= 3 nodes needed on GKSS_TEST_SEARCH_URL's {engine} "
            f"(deploy/local/{engine} up --nodes 3)"
        )
    index = open_cluster_index(engine, unique_name(), shards=3, replicas=1)
    try:
        index.add(corpus)
        index.refresh()
        health = index._health(index.name, "green", "60s", 90)
        assert health["status"] == "green", health
        cluster_script(engine, "stop-node", "2")
        try:
            assert index.search(SearchQuery(size=0)).total == len(corpus)
            assert index.count() == len(corpus)
            assert index.search(SearchQuery(text="biodiversity", size=0)).total > 0
        finally:
            cluster_script(engine, "start-node", "2")
        health = index._health(None, "green", "120s", 150)
        assert health["status"] == "green" and health["number_of_nodes"] == 3, health
        assert index.count() == len(corpus)
    finally:
        index.drop()
        index.close()
