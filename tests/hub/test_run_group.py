"""Runs harvested as one group (hub.pipeline.group): shared index commits, each run recorded once
its records are searchable, index failures noted on the runs, over real feeds replayed on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.pipeline.group import RunGroup, harvest_sources
from hub.search.base import SearchQuery
from hub.settings import Settings
from tests.support.http_replay import ReplayServer

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
ATOM = "{http://www.w3.org/2005/Atom}"
# (fixture, how its entries are found): each entry has its own id or link, so each is one record
FIXTURES = {"pet_atom.xml": f".//{ATOM}entry", "RSSWithComments.xml": ".//item"}


def entries(name: str) -> int:
    """The entries of a fixture, counted in its XML."""
    return len(etree.parse(str(FEEDS / name)).getroot().findall(FIXTURES[name]))


@pytest.fixture
def served() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        for name in FIXTURES:
            server.route(f"/{name}", (FEEDS / name).read_bytes(), headers={"Content-Type": "application/xml"})
        yield server


@pytest.fixture
def hub(tmp_path: Path, served: ReplayServer) -> Iterator[Hub]:
    opened = open_hub(Settings(home=tmp_path / "gkss", allow_private_networks=True))
    for name in FIXTURES:
        opened.store.add_source(name.split(".")[0], "feed", f"{served.url}/{name}", {})
    yield opened
    opened.close()


SOURCES = [name.split(".")[0] for name in FIXTURES]


def test_a_group_stores_indexes_and_records_every_run_in_one_commit(hub: Hub) -> None:
    before = hub.index.generation
    ended: list[str] = []
    summaries = harvest_sources(hub, SOURCES, on_end=lambda summary: ended.append(summary.source_id))
    expected = {name.split(".")[0]: entries(name) for name in FIXTURES}
    assert [s.source_id for s in summaries] == ended == SOURCES
    assert {s.source_id: (s.status, s.added) for s in summaries} == {
        sid: ("succeeded", count) for sid, count in expected.items()
    }
    assert hub.store.count_records() == hub.index.count() == sum(expected.values())
    assert hub.index.generation == before + 1  # both runs' records in one commit
    for sid in SOURCES:
        run = hub.store.list_runs(sid, limit=1)[0]
        assert (run.status, run.added) == ("succeeded", expected[sid])
    found = hub.index.search(SearchQuery(text="Bluesky", size=5, facets=False))
    assert found.total >= 1


def test_a_held_run_is_recorded_only_once_its_records_are_searchable(hub: Hub) -> None:
    with RunGroup(hub) as group:
        group.harvest("pet_atom")
        run = hub.store.list_runs("pet_atom", limit=1)[0]
        assert run.status == "running"  # a process dying now leaves it for crash recovery
        assert hub.index.count() == 0
    run = hub.store.list_runs("pet_atom", limit=1)[0]
    assert (run.status, run.added) == ("succeeded", entries("pet_atom.xml"))
    assert hub.index.count() == entries("pet_atom.xml")


def test_an_index_failure_is_noted_on_every_run_of_the_commit_and_the_store_keeps_them(hub: Hub) -> None:
    hub.index.close()  # every write of the group now fails: "the index is closed"
    summaries = harvest_sources(hub, SOURCES)
    assert [s.status for s in summaries] == ["succeeded", "succeeded"]
    for summary in summaries:
        assert any(note.startswith("index update failed") for note in summary.notes), summary.notes
        run = hub.store.list_runs(summary.source_id, limit=1)[0]
        assert any(str(note).startswith("index update failed") for note in run.notes or [])
    assert hub.store.count_records() == sum(entries(name) for name in FIXTURES)


def test_the_next_process_levels_the_index_after_a_failed_group(tmp_path: Path, served: ReplayServer) -> None:
    settings = Settings(home=tmp_path / "gkss", allow_private_networks=True)
    first = open_hub(settings)
    for name in FIXTURES:
        first.store.add_source(name.split(".")[0], "feed", f"{served.url}/{name}", {})
    first.index.close()
    harvest_sources(first, SOURCES)
    first.close()
    second = open_hub(settings)
    try:
        for sid in SOURCES:
            assert harvest_source(second, sid).status == "succeeded"
        assert second.index.count() == sum(entries(name) for name in FIXTURES)
    finally:
        second.close()


def test_a_held_run_leaves_its_source_state_until_it_is_recorded_with_it(tmp_path: Path) -> None:
    """A run of a group keeps its feed's validators for the next run only when it is recorded: a
    process dying before leaves the run running and the source's state as it was."""
    body = (FEEDS / "pet_atom.xml").read_bytes()
    with ReplayServer() as server:
        server.route("/tagged.xml", body, headers={"Content-Type": "application/atom+xml"}, etag='"v7"')
        hub = open_hub(Settings(home=tmp_path / "gkss", allow_private_networks=True))
        try:
            hub.store.add_source("tagged", "feed", f"{server.url}/tagged.xml", {})
            with RunGroup(hub) as group:
                group.harvest("tagged")
                assert hub.store.list_runs("tagged", limit=1)[0].status == "running"
                assert hub.store.get_source("tagged").state == {}  # type: ignore[union-attr]
            run = hub.store.list_runs("tagged", limit=1)[0]
            assert (run.status, run.added, run.requests) == ("succeeded", entries("pet_atom.xml"), 1)
            assert hub.store.get_source("tagged").state["etag"] == '"v7"'  # type: ignore[union-attr]
            again = harvest_sources(hub, ["tagged"])[0]  # sends the ETag: 304, nothing read again
            assert (again.status, again.not_modified, again.added) == ("succeeded", True, 0)
        finally:
            hub.close()
