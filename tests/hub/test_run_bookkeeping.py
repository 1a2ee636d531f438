"""A run's bookkeeping in the store, on SQLite and PostgreSQL: started, its last success looked up,
ended with its source's state (one transaction for a group's runs), sources read many at a time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.store import Store
from hub.store.clock import aware
from hub.store.runs import RunEnd, this_process
from tests.support.databases import database_kinds, fresh_database

SOURCES = {"a": "http://127.0.0.1/a.xml", "b": "http://127.0.0.1/b.xml", "c": "http://127.0.0.1/c.xml"}


@pytest.fixture(params=database_kinds())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_database(request.param, tmp_path) as url:
        opened = Store(url)
        opened.create_all()
        for source_id, feed_url in SOURCES.items():
            opened.add_source(source_id, "feed", feed_url, {"country": "FR"})
        yield opened
        opened.close()


def outcome(status: str, added: int, notes: list[str], error: str | None = None) -> dict[str, object]:
    """The columns a run's end sets (``RunSummary.outcome`` with the harvest's requests and bytes)."""
    return {
        "status": status,
        "added": added,
        "updated": 1,
        "unchanged": 2,
        "deleted": 0,
        "failed": 3,
        "notes": notes,
        "error": error,
        "requests": 1,
        "bytes": 2048,
        "statuses": {"200": 1},
    }


def test_a_started_run_is_running_in_this_process_with_nothing_counted(store: Store) -> None:
    window = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    before = datetime.now(UTC)
    started = store.start_run("a", False, window)
    row = store.get_run(started.id)
    assert row is not None and row.id == started.id
    assert (row.source_id, row.status, row.full, aware(row.window_from)) == ("a", "running", False, window)
    assert row.worker == this_process() and f"pid {os.getpid()}" in row.worker
    assert (row.added, row.updated, row.unchanged, row.deleted, row.failed, row.bytes) == (0, 0, 0, 0, 0, 0)
    assert (row.statuses, row.notes, row.finished_at) == ({}, [], None)
    moment = aware(row.started_at)
    assert moment is not None and before - timedelta(seconds=1) <= moment <= datetime.now(UTC)
    assert store.start_run("a", True, None).id != started.id  # each run a row of its own


def test_the_last_successful_run_is_the_newest_that_succeeded(store: Store) -> None:
    assert store.last_success_started("a") is None  # never harvested
    first, second, failed = (store.start_run("a", False, None) for _ in range(3))
    store.end_runs(
        [
            RunEnd(first.id, outcome("succeeded", 1, []), "a"),
            RunEnd(second.id, outcome("succeeded", 0, []), "a"),
        ]
    )
    store.end_runs([RunEnd(failed.id, outcome("failed", 0, [], "HarvestError: gone"), "a")])
    assert store.last_success_started("a") == aware(store.get_run(second.id).started_at)  # type: ignore[union-attr]
    assert store.last_success_started("b") is None  # another source's runs are not its own


def test_runs_end_with_their_sources_states_in_one_call(store: Store) -> None:
    ok, failed = store.start_run("a", False, None), store.start_run("b", False, None)
    before = datetime.now(UTC)
    store.end_runs(
        [
            RunEnd(ok.id, outcome("succeeded", 4, ["fetched"]), "a", {"etag": '"v2"', "last_modified": None}),
            RunEnd(failed.id, outcome("failed", 0, [], "HarvestError: HTTP 500"), "b"),  # b's state is kept
        ]
    )
    done, broken = store.get_run(ok.id), store.get_run(failed.id)
    assert done is not None and broken is not None
    assert (done.status, done.added, done.updated, done.unchanged, done.failed) == ("succeeded", 4, 1, 2, 3)
    assert (done.notes, done.error, done.requests, done.bytes, done.statuses) == (
        ["fetched"],
        None,
        1,
        2048,
        {"200": 1},
    )
    assert (broken.status, broken.error, broken.added) == ("failed", "HarvestError: HTTP 500", 0)
    for row in (done, broken):
        finished = aware(row.finished_at)
        assert finished is not None and before - timedelta(seconds=1) <= finished <= datetime.now(UTC)
    assert store.get_source("a").state == {"etag": '"v2"', "last_modified": None}  # type: ignore[union-attr]
    assert store.get_source("b").state == {}  # type: ignore[union-attr]
    assert store.running_runs() == []
    store.end_runs([])  # nothing to record: no error


def test_sources_are_read_many_at_once_as_they_are_stored(store: Store) -> None:
    store.update_source("b", options={"country": "DE"})
    found = store.get_sources(["c", "b", "missing", "b"])
    assert sorted(found) == ["b", "c"]  # a missing source is left out, a repeated one read once
    for source_id, source in found.items():
        assert (source.id, source.protocol, source.url) == (source_id, "feed", SOURCES[source_id])
    assert found["b"].options.country == "DE" and found["c"].options.country == "FR"  # type: ignore[attr-defined]
    assert store.get_sources([]) == {}
    assert store.get_source("missing") is None
    assert store.get_source("c") == found["c"]
