"""/api/search answers kept per query string (hub/api/answer_cache.py): served again until the index
changes, conditional requests, and what is never kept (errors, federated answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from federation.identity import HEADER_NODE
from hub.api import create_app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, live_and_deleted, load_real_records


@pytest.fixture(scope="module")
def records() -> list[ReplayRecord]:
    return load_real_records()


@pytest.fixture
def hub(tmp_path: Path, records: list[ReplayRecord]) -> Iterator[Hub]:
    settings = Settings(home=tmp_path, database_url=None, search_url=None, api_rate=0)
    hub = open_hub(settings)
    with OaiReplayServer(records, page_size=50) as repo:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
    yield hub
    hub.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub.settings, hub)) as test_client:
        yield test_client


def cache(client: TestClient) -> dict[str, Any]:
    kept: dict[str, Any] = client.get("/healthz").json()["search_cache"]
    return kept


def test_a_repeated_search_is_answered_from_the_cache(
    client: TestClient, records: list[ReplayRecord]
) -> None:
    live, _ = live_and_deleted(records)
    first = client.get("/api/search?size=3&sort=date")
    assert first.status_code == 200 and first.json()["total"] == len(live)
    before = cache(client)
    again = client.get("/api/search?size=3&sort=date")
    after = cache(client)
    assert after["hits"] == before["hits"] + 1 and after["misses"] == before["misses"]
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"] == first.headers["cache-control"] == "public, max-age=30"
    assert again.headers["content-type"] == "application/json"
    other = client.get("/api/search?size=4&sort=date")  # another query string: searched
    assert len(other.json()["results"]) == 4 and cache(client)["misses"] == after["misses"] + 1


def test_a_change_of_the_index_is_seen_at_once(
    client: TestClient, hub: Hub, records: list[ReplayRecord]
) -> None:
    live, _ = live_and_deleted(records)
    assert client.get("/api/search?size=1").json()["total"] == len(live)
    gone = sorted(hub.index.ids())[0]
    assert hub.index.delete([gone]) == 1
    answer = client.get("/api/search?size=1").json()
    assert answer["total"] == len(live) - 1


def test_a_current_etag_gets_304_from_the_cache(client: TestClient) -> None:
    first = client.get("/api/search?q=biodiversity&size=2")
    assert first.status_code == 200
    etag = first.headers["etag"]
    before = cache(client)
    again = client.get("/api/search?q=biodiversity&size=2", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == "public, max-age=30"
    assert cache(client)["hits"] == before["hits"] + 1
    stale = client.get("/api/search?q=biodiversity&size=2", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.content == first.content


def test_errors_and_federated_answers_are_never_kept(client: TestClient) -> None:
    stranger = {HEADER_NODE: "hub-nobody-knows"}  # answered with the local results, one-way
    for _ in range(2):
        assert client.get("/api/search?page=0").status_code == 422
        assert client.get("/api/search?cursor=forged").status_code == 400
        assert client.get("/api/search?size=2&federated=true").status_code == 200
        local = client.get("/api/search?size=3&federated=true", headers=stranger)
        assert local.status_code == 200 and "peers" not in local.json()
    counted = cache(client)
    assert counted["hits"] == 0 and counted["answers"] == 0 and counted["misses"] == 8
    fanned = client.get("/api/search?size=3&federated=true")  # the same query string, anonymous
    assert "peers" in fanned.json(), "a local answer to a stranger is not served to others"
