"""Payload hash first: an incremental run counts a record delivered again byte for byte as unchanged
without normalising it; a changed one is normalised and updated; a full run normalises everything."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from harvesters.records import RawRecord
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source, normalise_record
from hub.settings import Settings
from normalizers.resource import Resource
from tests.support.http_replay import ReplayServer

FEED = Path(__file__).resolve().parents[1] / "fixtures" / "feeds" / "RSSWithComments.xml"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = open_hub(
        Settings(home=tmp_path / "gkss", database_url=None, search_url=None, allow_private_networks=True)
    )
    yield hub
    hub.close()


def test_records_delivered_again_are_not_normalised_again(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    body = FEED.read_bytes()
    entries = feedparser.parse(body).entries
    first_title = entries[0].title
    assert len(entries) == 30 and body.count(first_title.encode()) == 1
    normalised: list[str] = []

    def counting(raw: RawRecord, protocol: str, place: tuple[object, object]) -> Resource:
        normalised.append(raw.native_id)
        return normalise_record(raw, protocol, place)

    monkeypatch.setattr("hub.pipeline.run.normalise_record", counting)
    with ReplayServer() as server:
        server.route("/feed.xml", body, headers={"Content-Type": "application/rss+xml"})
        hub.store.add_source("news", "feed", f"{server.url}/feed.xml", {})
        first = harvest_source(hub, "news")
        assert (first.status, first.added, len(normalised)) == ("succeeded", 30, 30)

        normalised.clear()
        again = harvest_source(hub, "news")
        assert (again.added, again.updated, again.unchanged, normalised) == (0, 0, 30, [])

        server.route(
            "/feed.xml",
            body.replace(first_title.encode(), b"A retitled entry"),
            headers={"Content-Type": "application/rss+xml"},
        )
        changed = harvest_source(hub, "news")
        assert (changed.updated, changed.unchanged, len(normalised)) == (1, 29, 1)
        assert any(
            r.display_title() == "A retitled entry" for b in hub.store.iter_resources("news") for r in b
        )

        normalised.clear()
        full = harvest_source(hub, "news", full=True)
        assert (full.updated, full.unchanged, len(normalised)) == (0, 30, 30)
