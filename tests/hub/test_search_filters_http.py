"""/api/search and the feeds take node, region, goal, indicator and from/until; bad values are a 400."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from registry.nodes import add_node
from tests.support.http_replay import ReplayServer

FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
KENYA_FEED = FEEDS / "rss_1.0_spec_1.xml"
ASIA_FEED = FEEDS / "rss_2.0_dbengines.xml"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    settings = Settings(
        home=tmp_path_factory.mktemp("filters"), database_url=None, search_url=None, api_rate=0
    )
    hub = open_hub(settings)
    add_node(hub.store, "gkssb", "GKSSB", "service")
    add_node(hub.store, "africa", "TSCC Africa", "regional", "gkssb")
    add_node(hub.store, "ke", "Kenya", "national", "africa")
    add_node(hub.store, "asia", "TSCC Asia", "regional", "gkssb")
    with ReplayServer() as site:
        site.route("/ke.rss", KENYA_FEED.read_bytes(), headers={"Content-Type": "application/rss+xml"})
        site.route("/asia.rss", ASIA_FEED.read_bytes(), headers={"Content-Type": "application/rss+xml"})
        # Kenya's national node gives its records their country (and so their regions).
        hub.store.add_source("ke-news", "feed", site.url + "/ke.rss", {"country": "KE"}, node_id="ke")
        hub.store.add_source("asia-news", "feed", site.url + "/asia.rss", {}, node_id="asia")
        for source in ("ke-news", "asia-news"):
            assert harvest_source(hub, source).status == "succeeded"
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub.settings, hub)) as test_client:
        yield test_client


def sources_of(answer: dict[str, object]) -> set[str]:
    results = answer["results"]
    assert isinstance(results, list)
    return {item["source"] for item in results}


def test_node_reaches_the_sources_of_its_subtree(client: TestClient) -> None:
    kenya = KENYA_FEED.read_text().count("<item ")
    asia = ASIA_FEED.read_text().count("<item>")
    africa = client.get("/api/search", params={"node": "africa", "size": 100}).json()
    assert africa["total"] == kenya and sources_of(africa) == {"ke-news"}
    everything = client.get("/api/search", params={"node": "gkssb", "size": 100}).json()
    assert everything["total"] == kenya + asia
    both = client.get("/api/search", params=[("node", "ke"), ("node", "asia"), ("size", "100")]).json()
    assert both["total"] == kenya + asia
    crossed = client.get("/api/search", params={"node": "africa", "source": "asia-news"}).json()
    assert crossed["total"] == 0, "node and source are AND-ed"
    feed = client.get("/feeds/json", params={"node": "africa"}).json()
    assert len(feed["items"]) == kenya


def test_region_reaches_records_by_their_country(client: TestClient) -> None:
    kenya = KENYA_FEED.read_text().count("<item ")
    for region in ("eastern-africa", "014", "D50FE62D-8A5E-4407-83F8-AFCAAF708EA4", "africa"):
        answer = client.get("/api/search", params={"region": region, "size": 100}).json()
        assert answer["total"] == kenya and sources_of(answer) == {"ke-news"}, region
    assert client.get("/api/search", params={"region": "south-america"}).json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"node": "atlantis"}, "unknown node 'atlantis'"),
        ({"region": "middle-earth"}, "unknown region"),
        ({"goal": "E"}, "unknown GBF goal"),
        ({"indicator": "Z.99"}, "unknown GBF indicator"),
        ({"from": "2024-13-01"}, "from must be a date"),
        ({"from": "2025-01-01", "until": "2024-01-01"}, "from must not be after until"),
    ],
)
def test_a_bad_filter_is_a_400_saying_why(client: TestClient, params: dict[str, str], message: str) -> None:
    for path in ("/api/search", "/feeds/atom"):
        answer = client.get(path, params=params)
        assert answer.status_code == 400 and message in answer.json()["detail"], (path, answer.text)


def test_date_range_over_http(client: TestClient, hub: Hub) -> None:
    dated = client.get("/api/search", params={"size": 100, "sort": "date"}).json()["results"]
    days = sorted({item["date"] for item in dated if item["date"]})
    assert days, "the feeds carry dates"
    answer = client.get("/api/search", params={"from": days[0], "until": days[0], "size": 100}).json()
    assert answer["total"] == sum(1 for item in dated if item["date"] == days[0])
