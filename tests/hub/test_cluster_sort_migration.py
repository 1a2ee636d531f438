"""A cluster index written by an older hub (documents without ``sort_time``, the publication moment the
date order reads) is rebuilt from the store when the hub opens it, on both cluster engines; an index
the current hub wrote is left as it is."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.cluster_connection import Engine
from hub.context import open_hub
from hub.search.cluster import ClusterIndex
from hub.search.cluster_mapping import index_action
from hub.settings import Settings
from normalizers.resource import Resource
from tests.contract.conftest import CLUSTER_ENGINES, cluster_url, load_corpus, open_cluster_index
from tests.hub.test_cluster_ops import fill_store

WITHOUT_MOMENT = {"bool": {"must_not": [{"exists": {"field": "sort_time"}}]}}


@pytest.fixture(params=CLUSTER_ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    chosen: Engine = request.param
    return chosen


@pytest.fixture
def name(engine: Engine) -> Iterator[str]:
    alias = f"gkss-sortmig-{uuid.uuid4().hex[:12]}"
    yield alias
    index = open_cluster_index(engine, alias, retire_after=0)
    index.drop()
    index.close()


def _older_hubs(resource: Resource) -> dict[str, Any]:
    """The bulk action an older hub wrote: the document without ``sort_time``."""
    action = index_action(resource)
    source = {k: v for k, v in action["_source"].items() if k != "sort_time"}
    return {**action, "_source": source}


def _lacking_moment(index: ClusterIndex) -> int:
    answer = index._raw_search(index.name, {"size": 0, "track_total_hits": True, "query": WITHOUT_MOMENT})
    total = answer["hits"]["total"]
    return int(total["value"] if isinstance(total, dict) else total)


def test_an_index_written_by_an_older_hub_is_rebuilt_when_the_hub_opens(
    engine: Engine, name: str, tmp_path: Path
) -> None:
    dated = [r for r in load_corpus() if r.display_date()][:6]
    fill_store(tmp_path / "hub.db", dated).close()
    old = open_cluster_index(engine, name, retire_after=0)
    try:
        assert not old.needs_rebuild  # a new alias
        assert old._bulk(old.name, map(_older_hubs, dated)) == len(dated)
        old.refresh()
        assert _lacking_moment(old) == len(dated)
    finally:
        old.close()
    settings = Settings(
        home=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'hub.db'}",
        search_url=cluster_url(engine),
        search_index=name,
        search_engine=engine,
    )
    hub = open_hub(settings)
    try:
        assert isinstance(hub.index, ClusterIndex)
        assert not hub.index.needs_rebuild  # rebuilt by open_hub
        assert _lacking_moment(hub.index) == 0
        assert hub.index.count() == len(dated)
    finally:
        hub.close()
    again = open_cluster_index(engine, name, retire_after=0)
    try:
        assert not again.needs_rebuild  # what this hub wrote is left as it is
    finally:
        again.close()
