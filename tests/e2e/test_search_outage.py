"""A search cluster stopped mid-harvest: the run completes into the store, and the next process that opens
the hub levels the index from the store by itself (issue 14: no `index check --repair` needed).

Runs on each engine (Elasticsearch, OpenSearch) with its own one-node cluster (a separate state
directory and a free port) so the shared test clusters are untouched; needs the cluster tooling, signalled by
GKSS_TEST_SEARCH_URL as for the other cluster tests.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.context import open_hub
from hub.pipeline import harvest_source
from hub.recovery import LEVELLED
from hub.search.maintenance import check
from hub.settings import Settings
from normalizers.resource import resource_id
from tests.support.hubs import free_port_pair
from tests.support.oai_replay import OaiReplayServer, load_real_records

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("elasticsearch", "opensearch")
TRANSPORT_GAP = 100  # deploy/local puts a node's transport port at its HTTP port + 100

pytestmark = pytest.mark.skipif(
    not os.environ.get("GKSS_TEST_SEARCH_URL"), reason="GKSS_TEST_SEARCH_URL is not set (no cluster tooling)"
)


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _cluster(engine: str, state: Path, *args: str) -> str:
    env = {**os.environ, "GKSS_LOCAL_DIR": str(state)}
    script = str(ROOT / "deploy" / "local" / engine)
    done = subprocess.run([script, *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


@pytest.fixture
def private_cluster(tmp_path: Path, engine: str) -> Iterator[tuple[Path, str]]:
    state = tmp_path / "search-local"
    url = _cluster(engine, state, "up", "--nodes", "1", "--port", str(free_port_pair(TRANSPORT_GAP)))
    try:
        yield state, url
    finally:
        _cluster(engine, state, "down")


def test_cluster_down_mid_harvest_then_the_index_levels_itself(
    tmp_path: Path, engine: str, private_cluster: tuple[Path, str]
) -> None:
    state, url = private_cluster
    records = load_real_records()
    live = {r.identifier for r in records if r.identifier and not r.deleted and r.metadata}
    settings = Settings(
        home=tmp_path / "gkss", search_url=url, search_index=f"outage-{uuid.uuid4().hex[:8]}", batch_size=5
    )
    hub = open_hub(settings)
    stopped: list[int] = []

    def stop_cluster_once(seen: int) -> None:
        if seen == 12 and not stopped:
            _cluster(engine, state, "down")
            stopped.append(seen)

    try:
        with OaiReplayServer(records, page_size=5) as server:
            hub.store.add_source("repo", "oai-pmh", server.url, {})
            summary = harvest_source(hub, "repo", progress=stop_cluster_once)
    finally:
        hub.close()
    assert stopped, "the cluster must have been stopped mid-harvest"
    assert summary.status == "succeeded", summary.error
    assert any("index update failed" in note for note in summary.notes)
    assert summary.added == len(live)

    port = url.rsplit(":", 1)[1].strip("/")
    _cluster(engine, state, "up", "--nodes", "1", "--port", port, "--keep-data")
    hub = open_hub(settings)  # the next process that opens the hub levels the index after the failed run
    try:
        hub.index.refresh()
        expected = {resource_id("repo", i) for i in live}
        assert set(hub.index.ids()) == expected
        assert check(hub.store, hub.index).clean
        [run] = hub.store.list_runs("repo")
        assert any(str(note).startswith(LEVELLED) for note in run.notes or []), run.notes
    finally:
        hub.close()
