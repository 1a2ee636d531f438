"""Feed runs of a group fetched and parsed ahead in helper processes (hub.pipeline.parse_ahead), over
real feeds replayed on 127.0.0.1: the same records, validators and errors as runs fetching for
themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from hub.context import Hub, open_hub
from hub.pipeline.group import RunGroup, harvest_sources
from hub.pipeline.parse_ahead import DEPTH, START_AT
from hub.settings import Settings
from tests.support.http_replay import LoggedRequest, ReplayServer

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
ATOM = "{http://www.w3.org/2005/Atom}"
COPIES = START_AT + 2  # sources, each a copy of one real feed at a path of its own
BROKEN = 3  # the copy that answers 500


def atom_entries() -> int:
    return len(etree.parse(str(FEEDS / "pet_atom.xml")).getroot().findall(f".//{ATOM}entry"))


@pytest.fixture
def served() -> Iterator[ReplayServer]:
    body = (FEEDS / "pet_atom.xml").read_bytes()
    with ReplayServer() as server:
        for k in range(COPIES):
            if k == BROKEN:
                server.route(f"/c{k}.xml", b"down for maintenance", status=500)
            else:
                server.route(
                    f"/c{k}.xml", body, headers={"Content-Type": "application/atom+xml"}, etag=f'"v{k}"'
                )
        yield server


@pytest.fixture
def hub(tmp_path: Path, served: ReplayServer) -> Iterator[Hub]:
    opened = open_hub(Settings(home=tmp_path / "gkss", allow_private_networks=True, http_max_retries=0))
    for k in range(COPIES):
        opened.store.add_source(f"c{k}", "feed", f"{served.url}/c{k}.xml", {})
    yield opened
    opened.close()


SOURCES = [f"c{k}" for k in range(COPIES)]


def test_feeds_fetched_ahead_give_every_run_its_records_and_each_feed_is_fetched_once(
    hub: Hub, served: ReplayServer
) -> None:
    with RunGroup(hub, planned=SOURCES) as group:
        group.harvest(SOURCES[0])
        # the next DEPTH feeds are fetched by the helpers before their runs begin
        assert sorted(group.ahead.ahead) == [f"c{k}" for k in range(1, DEPTH + 1)]
        for k in range(1, DEPTH + 1):
            group.ahead.ahead[f"c{k}"][2].result(timeout=120)
            assert len(served.requests_to(f"/c{k}.xml")) == 1
        for source in SOURCES[1:]:
            group.harvest(source)
    entries = atom_entries()
    for k, source in enumerate(SOURCES):
        run = hub.store.list_runs(source, limit=1)[0]
        if k == BROKEN:
            assert run.status == "failed" and "500" in (run.error or ""), run.error
        else:
            assert (run.status, run.added, run.requests) == ("succeeded", entries, 1)
        assert len(served.requests_to(f"/c{k}.xml")) == 1
    assert hub.index.count() == hub.store.count_records() == entries * (COPIES - 1)


def test_a_feed_fetched_ahead_fails_as_the_same_feed_fetched_by_its_own_run(
    hub: Hub, served: ReplayServer
) -> None:
    from hub.pipeline import harvest_source

    alone = harvest_source(hub, SOURCES[BROKEN])  # the run fetches for itself
    grouped = harvest_sources(hub, SOURCES)[BROKEN]
    assert (grouped.status, grouped.error) == (alone.status, alone.error) == ("failed", alone.error)
    assert alone.error and "500" in alone.error


def test_feeds_fetched_ahead_send_the_validators_of_their_last_run(hub: Hub, served: ReplayServer) -> None:
    harvest_sources(hub, SOURCES)
    again = harvest_sources(hub, SOURCES)
    for k, summary in enumerate(again):
        if k == BROKEN:
            continue
        assert summary.status == "succeeded" and summary.not_modified, summary
        assert served.requests_to(f"/c{k}.xml")[-1].headers.get("if-none-match") == f'"v{k}"'
    assert hub.store.count_records() == atom_entries() * (COPIES - 1)


def test_a_short_group_fetches_in_its_runs_without_a_helper(hub: Hub, served: ReplayServer) -> None:
    few = SOURCES[: START_AT - 1]
    with RunGroup(hub, planned=few) as group:
        group.harvest(few[0])
        assert not served.requests_to("/c1.xml")  # nothing fetched ahead
        assert group.ahead.pool is None
        for source in few[1:]:
            group.harvest(source)
    assert hub.store.count_records() == atom_entries() * (len(few) - 1)  # c3 answered 500


def _stored(hub: Hub) -> dict[str, dict[str, object]]:
    """Every stored Resource as JSON, without the moments of harvesting."""
    out: dict[str, dict[str, object]] = {}
    for chunk in hub.store.iter_resources(batch=100):
        for resource in chunk:
            document = resource.model_dump(mode="json")
            document.pop("harvested", None)
            for provenance in [document.get("provenance"), *(document.get("merged_provenance") or [])]:
                if isinstance(provenance, dict):
                    provenance.pop("harvested", None)
            out[resource.id] = document
    return out


def test_records_of_feeds_fetched_ahead_are_the_records_each_run_makes_itself(
    hub: Hub, served: ReplayServer, tmp_path: Path
) -> None:
    from hub.pipeline import harvest_source

    harvest_sources(hub, SOURCES)  # from the second source on: fetched and parsed ahead
    alone = open_hub(Settings(home=tmp_path / "alone", allow_private_networks=True, http_max_retries=0))
    try:
        for k, source in enumerate(SOURCES):
            alone.store.add_source(source, "feed", f"{served.url}/c{k}.xml", {})
            harvest_source(alone, source)  # each run fetches and normalises for itself
        grouped, single = _stored(hub), _stored(alone)
        assert len(grouped) == atom_entries() * (COPIES - 1)
        assert grouped == single
    finally:
        alone.close()


def test_a_feed_polled_again_ahead_counts_unchanged_entries_and_rewrites_a_changed_one(
    hub: Hub, served: ReplayServer
) -> None:
    from hub.search.base import SearchQuery

    harvest_sources(hub, SOURCES)
    body = (FEEDS / "pet_atom.xml").read_bytes()
    changed = body.replace(b"Petmate Curvations Pet Tote", b"Petmate Curvations Pollinator Tote", 1)
    assert changed != body
    for k in range(COPIES):  # no validators now: every feed answers 200 with its whole document
        if k != BROKEN:
            served.route(
                f"/c{k}.xml", changed if k == 5 else body, headers={"Content-Type": "application/atom+xml"}
            )
    again = harvest_sources(hub, SOURCES)
    entries = atom_entries()
    for k, summary in enumerate(again):
        if k == BROKEN:
            continue
        expected = (entries - 1, 1) if k == 5 else (entries, 0)
        assert (summary.unchanged, summary.updated) == expected, summary
    found = hub.index.search(SearchQuery(text="Pollinator", size=5, facets=False))
    assert found.total == 1 and found.hits[0].id.startswith("c5-")


def test_a_source_changed_or_removed_after_its_feed_was_fetched_ahead_runs_as_it_is_now(
    hub: Hub, served: ReplayServer
) -> None:
    """An admin changes c1's options and removes c2 while the group has their feeds fetched ahead: c1's
    run uses its options as they are now (and fetches again, its fetch-ahead made for other options),
    and c2 has no run and no records."""
    with RunGroup(hub, planned=SOURCES) as group:
        group.harvest(SOURCES[0])
        for k in (1, 2):
            group.ahead.ahead[f"c{k}"][2].result(timeout=120)
        hub.store.update_source("c1", options={"country": "KE"})
        hub.store.remove_source("c2")
        group.harvest("c1")
        with pytest.raises(KeyError):
            group.harvest("c2")
    c1 = [r for chunk in hub.store.iter_resources(batch=100) for r in chunk if r.source == "c1"]
    assert len(c1) == atom_entries() and all(r.countries == ["KE"] for r in c1)
    assert len(served.requests_to("/c1.xml")) == 2
    assert hub.store.count_records("c2") == 0 and not hub.store.list_runs("c2", limit=1)


def test_harvest_all_runs_the_other_sources_when_an_admin_removes_one_during_it(
    hub: Hub, served: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gkss harvest --all` lists the sources, then an admin removes c2 while c0 is being fetched: c2 is
    said on stderr and not harvested, every other source still runs (before, the group stopped)."""
    from typer.testing import CliRunner

    from hub.cli import app

    log = served._log

    def remove_c2_when_c0_is_fetched(request: LoggedRequest) -> None:
        log(request)
        if request.path == "/c0.xml" and hub.store.get_source("c2") is not None:
            hub.store.remove_source("c2")

    monkeypatch.setattr(served, "_log", remove_c2_when_c0_is_fetched)
    for name, value in {
        "GKSS_HOME": str(tmp_path / "gkss"),
        "GKSS_ALLOW_PRIVATE_NETWORKS": "1",
        "GKSS_HTTP_MAX_RETRIES": "0",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GKSS_DATABASE_URL", raising=False)
    monkeypatch.delenv("GKSS_SEARCH_URL", raising=False)
    monkeypatch.delenv("GKSS_BROKER_URL", raising=False)
    result = CliRunner().invoke(app, ["harvest", "--all"])
    assert result.exit_code == 1, result.output  # c3 answers 500: its run failed
    assert "source 'c2' was removed after the harvest began: not harvested" in result.stderr
    assert hub.store.get_source("c2") is None and not hub.store.list_runs("c2", limit=1)
    for source in SOURCES:
        if source in ("c2", f"c{BROKEN}"):
            continue
        assert hub.store.list_runs(source, limit=1)[0].status == "succeeded", source
        assert hub.store.count_records(source) == atom_entries(), source
    assert hub.store.list_runs(f"c{BROKEN}", limit=1)[0].status == "failed"
