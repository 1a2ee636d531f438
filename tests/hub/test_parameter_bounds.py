"""Bounds on the parameters of the HTTP API and the OAI-PMH provider: out of range is a 400 with the
reason (OAI-PMH: badArgument), never a server error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.search.results import MAX_PAGE
from hub.settings import Settings
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, live_and_deleted, load_real_records

OAI = "{http://www.openarchives.org/OAI/2.0/}"
# Python ints past SQLite's 64-bit INTEGER: they used to reach the store as OverflowError (500).
HUGE = ("9223372036854775807", "9223372036854775808", "99999999999999999999999")


@pytest.fixture(scope="module")
def records() -> list[ReplayRecord]:
    return load_real_records()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, records: list[ReplayRecord]) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("bounds")
    hub: Hub = open_hub(Settings(home=home, database_url=None, search_url=None))
    with OaiReplayServer(records, page_size=10) as repo:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
    with TestClient(create_app(hub.settings, hub), raise_server_exceptions=False) as test_client:
        yield test_client
    hub.close()


@pytest.mark.parametrize("path", ["/api/search", "/feeds/atom", "/feeds/rss", "/feeds/json"])
@pytest.mark.parametrize("page", HUGE)
def test_a_page_past_the_deepest_is_a_400_with_the_reason(client: TestClient, path: str, page: str) -> None:
    response = client.get(path, params={"page": page})
    assert response.status_code == 400, response.text
    assert f"page must be between 1 and {MAX_PAGE}" in response.json()["detail"]


def test_the_deepest_page_is_served_empty_and_one_more_is_refused(
    client: TestClient, records: list[ReplayRecord]
) -> None:
    live, _ = live_and_deleted(records)
    deepest = client.get("/api/search", params={"page": MAX_PAGE, "size": 100})
    assert deepest.status_code == 200
    assert deepest.json()["total"] == len(live) and deepest.json()["results"] == []
    assert client.get("/api/search", params={"page": MAX_PAGE + 1}).status_code == 400
    federated = client.get("/api/search", params={"page": HUGE[0], "federated": "true"})
    assert federated.status_code == 400


@pytest.mark.parametrize("verb", ["ListRecords", "ListIdentifiers"])
@pytest.mark.parametrize(
    ("argument", "value"),
    [("until", "9999-12-31"), ("until", "9999-12-31T23:59:59Z"), ("from", "9999-12-31")],
)
def test_an_oai_date_out_of_range_is_bad_argument(
    client: TestClient, verb: str, argument: str, value: str
) -> None:
    response = client.get("/oai", params={"verb": verb, "metadataPrefix": "oai_dc", argument: value})
    assert response.status_code == 200, response.text  # OAI-PMH errors travel in a 200 answer
    errors = etree.fromstring(response.content).findall(f"{OAI}error")
    assert [(e.get("code"), e.text) for e in errors] == [
        ("badArgument", f"{argument} is out of range: the latest is 9999-12-30")
    ]


def test_the_latest_oai_date_in_range_lists_every_record(client: TestClient) -> None:
    response = client.get(
        "/oai", params={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc", "until": "9999-12-30"}
    )
    root = etree.fromstring(response.content)
    assert root.find(f"{OAI}error") is None
    assert root.findall(f".//{OAI}header")
