"""Re-normalising with its records made ready in the helper processes (normalizers/chunks.py, ``Ready``):
each Resource stamped there with its harvest time, its JSON, content hash and index document fields made
there. On SQLite and PostgreSQL, over the real OAI-PMH records and every feed fixture replayed on
127.0.0.1: the store's rows and the index's documents are those of re-normalising every record in the
run's own process; a failure in a helper's preparing ends the run failed, with the error, and loses no
stored record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from harvesters.records import RawRecord
from hub.context import Hub
from hub.pipeline import beside
from hub.pipeline.writer import RunWriter
from hub.renormalise import STATUS, renormalise_source
from hub.search.tantivy_index import TantivyIndex
from hub.store.models import RecordRow
from normalizers.chunks import Ready
from normalizers.resource import Resource
from tests.support.databases import database_kinds
from tests.support.harvested_hub import harvested_hub, record_sources

# every records column but those a run stamps (when it changed, by which run)
COLUMNS = "id, source_id, native_id, content_hash, resource, deleted, datestamp, last_resource"
HARVESTED = re.compile(r'"harvested":"[^"]*"')


@pytest.fixture(params=database_kinds())
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    with harvested_hub(request.param, tmp_path) as opened:
        yield opened


def _rows(hub: Hub) -> dict[str, tuple[Any, ...]]:
    with hub.store.session() as s:
        return {row[0]: tuple(row) for row in s.execute(text(f"SELECT {COLUMNS} FROM records"))}


def _documents(hub: Hub) -> dict[str, dict[str, Any]]:
    """Every document the embedded index stores, each with all its stored fields."""
    index = hub.index
    assert isinstance(index, TantivyIndex)
    _, searcher = index._current()
    found = {rid: index._by_id(searcher, rid) for rid in index.ids()}
    return {rid: doc.to_dict() for rid, doc in found.items() if doc is not None}


def _every_record_changed(hub: Hub) -> list[int]:
    """Every record marked changed (as after a vocabulary change), every source re-normalised; the
    counts of records written."""
    with hub.store.session() as s, s.begin():
        s.execute(update(RecordRow).values(content_hash="stale"))
    runs = [renormalise_source(hub, source) for source in record_sources(hub)]
    assert all(run.status == STATUS for run in runs), [run.error for run in runs]
    return [run.updated for run in runs]


def _counting_ready(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the records the run's writer is given ``Ready`` (made in a helper) and the others."""
    counts = [0, 0]
    add = RunWriter.add

    def counted(writer: RunWriter, raw: RawRecord, resource: Resource | Ready | None) -> None:
        counts[0 if isinstance(resource, Ready) else 1] += 1
        add(writer, raw, resource)

    monkeypatch.setattr(RunWriter, "add", counted)
    return counts


def test_ready_records_are_stored_and_indexed_as_the_run_would_make_them(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = sum(hub.store.count_records(source) for source in record_sources(hub))
    monkeypatch.setattr(beside, "START_AFTER", 10**9)  # every record in the run's own process
    here = _counting_ready(monkeypatch)
    assert sum(_every_record_changed(hub)) == live
    assert here == [0, live]
    rows, documents = _rows(hub), _documents(hub)
    assert len(documents) == live and all(row[3] != "stale" for row in rows.values() if not row[5])

    monkeypatch.undo()
    monkeypatch.setattr(beside, "START_AFTER", 2)  # all but each source's first two in the helpers
    monkeypatch.setattr(beside, "CHUNK", 3)
    helped = _counting_ready(monkeypatch)
    assert sum(_every_record_changed(hub)) == live
    assert helped[0] >= live - 2 * len(record_sources(hub)) and sum(helped) == live, helped
    assert _rows(hub) == rows
    assert _documents(hub) == documents


def _content(value: Any) -> Any:
    """``value`` without the harvest times of the Resource JSON in it (a harvest stamps each record
    with its own moment, a re-normalising with its raw record's)."""
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_content(v) for v in value]
    if isinstance(value, bytes):
        return HARVESTED.sub("", value.decode("utf-8"))
    return HARVESTED.sub("", value) if isinstance(value, str) else value


def broken_fields(resource: Resource, json: str) -> dict[str, Any]:
    """A ``prepare`` that fails (in a helper process) on the OAI-PMH source's records."""
    if resource.source == "repo":
        raise ValueError(f"no fields for {resource.id}")
    return {}


def test_a_failure_in_a_helper_ends_the_run_failed_and_loses_nothing(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(beside, "START_AFTER", 2)
    monkeypatch.setattr(beside, "CHUNK", 3)
    monkeypatch.setattr("hub.renormalise.document_fields", broken_fields)
    before, documents = _rows(hub), _documents(hub)
    with hub.store.session() as s, s.begin():
        s.execute(update(RecordRow).values(content_hash="stale"))
    run = renormalise_source(hub, "repo")
    assert run.status == "failed"
    assert run.error is not None and run.error.startswith("ValueError: no fields for repo-"), run.error
    recorded = next(r for r in hub.store.list_runs("repo") if r.id == run.run_id)
    assert recorded.status == "failed" and recorded.error == run.error
    after = _rows(hub)
    assert after.keys() == before.keys()
    # each record is as it was: the ones written before the failure with their content hash again
    assert {rid: _content(row[:3] + row[4:]) for rid, row in after.items()} == {
        rid: _content(row[:3] + row[4:]) for rid, row in before.items()
    }
    assert {row[3] for row in after.values() if row[1] == "repo" and not row[5]} <= {"stale"} | {
        row[3] for row in before.values()
    }
    assert _content(_documents(hub)) == _content(documents)
