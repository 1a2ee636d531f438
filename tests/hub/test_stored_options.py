"""Sources stored by an older hub keep loading: an option this hub does not know is kept as stored and
named in the run's notes; a stored value its model no longer accepts fails the run, naming the option,
and the source stays as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from registry.sources import InvalidSource, registered_source
from tests.support.http_replay import ReplayServer

FEED = Path(__file__).parents[1] / "fixtures" / "feeds" / "rss_1.0_spec_1.xml"
RSS = {"Content-Type": "application/rss+xml"}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None, allow_private_networks=True))
    yield hub
    hub.close()


def _items_in_feed() -> int:
    return len(etree.parse(str(FEED)).getroot().findall("{http://purl.org/rss/1.0/}item"))


def test_an_option_this_hub_does_not_know_is_kept_and_noted(hub: Hub) -> None:
    legacy = {"max_entries": 50, "colour": "green"}  # as an older hub wrote it, bypassing today's check
    with pytest.raises(InvalidSource, match="option colour is not understood by feed"):
        registered_source("old", "feed", "https://example.org/f.rss", legacy)
    with ReplayServer() as site:
        site.route("/f.rss", FEED.read_bytes(), headers=RSS)
        hub.store.add_source("old", "feed", site.url + "/f.rss", legacy)
        summary = harvest_source(hub, "old")
    assert summary.status == "succeeded", summary.error
    assert summary.added == _items_in_feed() > 0
    assert any("option colour is not understood by feed" in note for note in summary.notes)
    stored = hub.store.get_source("old")
    assert stored is not None and stored.stored_options == legacy


def test_a_stored_value_that_no_longer_passes_fails_the_run_and_keeps_the_source(hub: Hub) -> None:
    bad = {"max_entries": 0, "country": "KE"}
    with ReplayServer() as site:
        site.route("/f.rss", FEED.read_bytes(), headers=RSS)
        hub.store.add_source("bad", "feed", site.url + "/f.rss", bad)
        summary = harvest_source(hub, "bad")
        assert summary.status == "failed"
        assert "option max_entries" in (summary.error or "")
        assert site.requests_to("/f.rss") == []  # nothing fetched: the run stopped at its options
    runs = hub.store.list_runs("bad", limit=5)
    assert [run.status for run in runs] == ["failed"]
    stored = hub.store.get_source("bad")
    assert stored is not None and stored.stored_options == bad
