"""A WebSub topic's new filters (region, goal, from/until, node) pick pushed records as the feed does."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hub.context import open_hub
from hub.search.results import BadSearchParameter
from hub.settings import Settings
from hub.websub.matching import matches, topic_query
from normalizers.resource import Provenance, Resource
from registry.nodes import add_node

TOPIC = "https://hub.example/feeds/atom?"


def record(source: str, countries: list[str], day: date | None, goals: list[str] = []) -> Resource:  # noqa: B006
    return Resource(
        id=f"{source}-1",
        source=source,
        native_id="1",
        title={"en": "Mangroves"},
        type="document",
        countries=countries,
        gbf_goals=goals,
        published=day,
        provenance=Provenance(
            source=source,
            protocol="feed",
            native_id="1",
            payload_hash="sha256:0",
            content_type="application/rss+xml",
        ),
    )


def test_region_goal_and_dates_select_like_the_feed() -> None:
    kenyan = record("ke-news", ["KE"], date(2024, 5, 1), ["GBF-GOAL-A"])
    peruvian = record("pe-news", ["PE"], date(2023, 1, 1))
    undated = record("ke-old", ["KE"], None)
    query = topic_query(TOPIC + "region=eastern-africa&from=2024-01-01&until=2024-12-31")
    assert [matches(query, r) for r in (kenyan, peruvian, undated)] == [True, False, False]
    assert [matches(topic_query(TOPIC + "goal=A"), r) for r in (kenyan, peruvian)] == [True, False]
    assert matches(topic_query(TOPIC + "region=south-america"), peruvian)


def test_node_topics_need_the_store_and_know_their_sources(tmp_path: Path) -> None:
    with pytest.raises(BadSearchParameter, match="store"):
        topic_query(TOPIC + "node=africa")
    hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None))
    try:
        add_node(hub.store, "gkssb", "GKSSB", "service")
        add_node(hub.store, "africa", "Africa", "regional", "gkssb")
        hub.store.add_source("ke-news", "feed", "https://ke.example/rss", {}, node_id="africa")
        query = topic_query(TOPIC + "node=africa", hub.store)
        assert matches(query, record("ke-news", ["KE"], None))
        assert not matches(query, record("pe-news", ["PE"], None))
        with pytest.raises(BadSearchParameter, match="unknown node"):
            topic_query(TOPIC + "node=atlantis", hub.store)
    finally:
        hub.close()
