"""Deletion safety: deletions wait for a successful run, follow the source's policy, and a run that would
delete too much of a source is quarantined instead."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.search.base import SearchQuery
from hub.settings import Settings
from registry.sources import registered_source
from tests.e2e.test_cli_and_api import gkss
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, live_and_deleted, load_real_records


def _live(records: list[ReplayRecord]) -> list[str]:
    live, _ = live_and_deleted(records)
    return sorted(live)


def _later() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)


@pytest.fixture
def records() -> list[ReplayRecord]:
    return load_real_records()


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = open_hub(Settings(home=tmp_path / "gkss", database_url=None, search_url=None))
    yield hub
    hub.close()


def test_a_run_deleting_80_percent_is_quarantined_then_accepted(
    tmp_path: Path, records: list[ReplayRecord]
) -> None:
    home = tmp_path / "home"
    live = _live(records)
    doomed = live[: int(len(live) * 0.8)]
    with OaiReplayServer(records, page_size=7) as server:
        gkss(home, "sources", "add", "repo", "--protocol", "oai-pmh", "--url", server.url)
        gkss(home, "harvest", "repo")
        stamp = _later()
        for identifier in doomed:
            server.delete_record(identifier, stamp)
        quarantined = gkss(home, "harvest", "repo", "--json", check=False)
        assert quarantined.returncode == 1, "a quarantined run is not a success"
        (summary,) = json.loads(quarantined.stdout)
        assert (summary["status"], summary["quarantined"], summary["deleted"]) == (
            "quarantined",
            len(doomed),
            0,
        )
        assert any("quarantined" in note and "--accept-deletions" in note for note in summary["notes"])
        everything = json.loads(gkss(home, "search", "--json", "--size", "1").stdout)
        assert everything["total"] == len(live), "nothing was deleted"
        runs = json.loads(gkss(home, "runs", "repo", "--json").stdout)
        assert runs[0]["status"] == "quarantined"

        accepted = json.loads(gkss(home, "harvest", "repo", "--accept-deletions", "--json").stdout)[0]
        assert (accepted["status"], accepted["deleted"], accepted["quarantined"]) == (
            "succeeded",
            len(doomed),
            0,
        )
        left = json.loads(gkss(home, "search", "--json", "--size", "1").stdout)
        assert left["total"] == len(live) - len(doomed)


def test_deletions_under_the_share_are_applied(hub: Hub, records: list[ReplayRecord]) -> None:
    live = _live(records)
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {"max_delete_share": 0.25})
        harvest_source(hub, "repo")
        stamp = _later()
        few = live[: len(live) // 5]  # 20% <= 25%
        for identifier in few:
            server.delete_record(identifier, stamp)
        summary = harvest_source(hub, "repo")
    assert (summary.status, summary.deleted, summary.quarantined) == ("succeeded", len(few), 0)
    assert hub.index.search(SearchQuery(size=1)).total == len(live) - len(few)


def test_policy_never_keeps_what_the_source_deletes(hub: Hub, records: list[ReplayRecord]) -> None:
    live = _live(records)
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {"deletion_policy": "never"})
        harvest_source(hub, "repo")
        stamp = _later()
        for identifier in live[:3]:
            server.delete_record(identifier, stamp)
        summary = harvest_source(hub, "repo")
    assert (summary.status, summary.deleted) == ("succeeded", 0)
    assert any("3 deletion(s) not applied" in note for note in summary.notes)
    assert hub.store.count_records("repo") == len(live)


def test_policy_absence_deletes_what_a_full_run_no_longer_finds(
    hub: Hub, records: list[ReplayRecord]
) -> None:
    live = _live(records)
    gone = set(live[:2])
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {"deletion_policy": "absence"})
        harvest_source(hub, "repo")
    shrunk = [r for r in records if r.identifier not in gone]  # vanished: no tombstone at all
    with OaiReplayServer(shrunk, page_size=7) as server:
        hub.store.update_source("repo", url=server.url)
        incremental = harvest_source(hub, "repo")
        assert incremental.deleted == 0, "an incremental run does not see every record: absence means nothing"
        full = harvest_source(hub, "repo", full=True)
    assert (full.status, full.deleted) == ("succeeded", len(gone))
    assert hub.store.count_records("repo") == len(live) - len(gone)


def test_a_failed_run_applies_no_deletion(hub: Hub, records: list[ReplayRecord]) -> None:
    live = _live(records)
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {})
        harvest_source(hub, "repo")
        stamp = _later()
        server.delete_record(live[0], stamp)  # first in the next window, then 10 new records
        template = next(r for r in records if r.raw is None and r.metadata and not r.deleted)
        for n in range(10):
            later = stamp + timedelta(seconds=n + 1)
            server.add_record(replace(template, identifier=f"oai:new:{n}", datestamp=later))
        # page 1 (the deletion and 6 new records) is served; page 2, asked for by its token, answers 500
        server.fail_next(500, None, times=5, verb="ListRecords", resuming=True)
        summary = harvest_source(hub, "repo")
    assert summary.status == "failed" and summary.added == 6
    assert summary.deleted == 0 and hub.store.count_records("repo") == len(live) + 6


def test_deletion_options_are_checked() -> None:
    with pytest.raises(ValueError, match="deletion_policy"):
        registered_source(
            id="x", protocol="feed", url="https://example.org/f", options={"deletion_policy": "sometimes"}
        )
    with pytest.raises(ValueError, match="max_delete_share"):
        registered_source(
            id="x", protocol="feed", url="https://example.org/f", options={"max_delete_share": "2"}
        )
    ok = registered_source(
        id="x", protocol="feed", url="https://example.org/f", options={"max_delete_share": "0.8"}
    )
    assert ok.options.stored()["max_delete_share"] == "0.8"
