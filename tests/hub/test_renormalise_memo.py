"""Re-normalising with the record memos, on SQLite and PostgreSQL, over the real OAI-PMH records and
feeds replayed on 127.0.0.1: the harvest keeps them; every stored Resource is the same with the memos
as without them; the memos are read (a planted answer shows up) and one that is unreadable or stale
changes nothing; a re-normalising whose memo write fails is a recorded failed run that loses nothing."""

from __future__ import annotations

import json
import pickle
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text, update

from hub.context import Hub
from hub.pipeline import beside
from hub.remembering import normalise_remembering
from hub.renormalise import STATUS, renormalise_source
from hub.store.models import RecordMemoRow, RecordRow
from hub.store.raw import stored_raw_records
from normalizers.model_memo import LANGUAGE, TARGETS, Remembered, WithMemo
from tests.support.databases import database_kinds
from tests.support.harvested_hub import harvested_hub, record_sources

HARVESTED = re.compile(r'"harvested":"[^"]*"')


@pytest.fixture(params=database_kinds())
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    with harvested_hub(request.param, tmp_path) as opened:
        yield opened


def _stored(hub: Hub) -> dict[str, str | None]:
    with hub.store.session() as s:
        return {rid: resource for rid, resource in s.execute(text("SELECT id, resource FROM records"))}


def _content(stored: dict[str, str | None]) -> dict[str, str | None]:
    """The stored Resources without when they were harvested (a harvest stamps its own moment; a
    re-normalising, the raw record's)."""
    return {rid: HARVESTED.sub("", text) if text else text for rid, text in stored.items()}


def _memos(hub: Hub) -> dict[tuple[str, str], str]:
    with hub.store.session() as s:
        return {
            (a, b): c for a, b, c in s.execute(text("SELECT source_id, native_id, memo FROM record_memos"))
        }


def _set_memos(hub: Hub, value: str) -> None:
    with hub.store.session() as s, s.begin():
        s.execute(update(RecordMemoRow).values(memo=value))


def _renormalise_all_changed(hub: Hub, *, memo: bool) -> dict[str, str | None]:
    """Every record marked changed (as after a vocabulary change), every source re-normalised."""
    with hub.store.session() as s, s.begin():
        s.execute(update(RecordRow).values(content_hash="stale"))
    live = sum(hub.store.count_records(source) for source in record_sources(hub))
    runs = [renormalise_source(hub, source, memo=memo) for source in record_sources(hub)]
    assert all(run.status == STATUS for run in runs), [run.error for run in runs]
    assert sum(run.updated for run in runs) == live, "every live record rewritten"
    return _stored(hub)


def test_the_stored_resources_are_the_same_with_the_memos_and_without(hub: Hub) -> None:
    before = _stored(hub)
    assert len(record_sources(hub)) > 5, "the OAI-PMH source and the feeds that hold records"
    memos = _memos(hub)  # kept by the harvests
    entries = [entry for memo in memos.values() for entry in json.loads(memo)]
    assert any(e.startswith(f"{LANGUAGE}:") for e in entries), "feeds stating no language were identified"
    assert any(e.startswith(f"{TARGETS}:") for e in entries), (
        "records stating no target were read by the model"
    )
    for source in record_sources(hub):  # nothing changed: nothing written, no memo new
        assert renormalise_source(hub, source).updated == 0
    assert _content(_stored(hub)) == _content(before)
    assert _memos(hub) == memos

    with_memos = _renormalise_all_changed(hub, memo=True)
    assert _memos(hub) == memos, "the memos held every answer: none rewritten"
    without = _renormalise_all_changed(hub, memo=False)
    assert with_memos == without
    assert _content(with_memos) == _content(before)

    _set_memos(hub, "{not json")  # unreadable: every model runs again, and the memos are made anew
    assert _renormalise_all_changed(hub, memo=True) == without
    assert _memos(hub) == memos


@pytest.mark.parametrize("helped", [False, True], ids=["in-the-run", "in-helper-processes"])
def test_a_planted_answer_is_used_so_the_memo_is_read_and_a_stale_one_is_not(
    hub: Hub, helped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if helped:  # every record but the first two goes to the helper processes, three at a time
        monkeypatch.setattr(beside, "START_AFTER", 2)
        monkeypatch.setattr(beside, "CHUNK", 3)
    memos = _memos(hub)
    language = {
        k: json.loads(m) for k, m in memos.items() if any(e.startswith(LANGUAGE) for e in json.loads(m))
    }
    assert language
    planted = {
        k: {e: ("xx" if e.startswith(LANGUAGE) else v) for e, v in m.items()} for k, m in language.items()
    }
    with hub.store.session() as s, s.begin():
        for (source, native), memo in planted.items():
            s.execute(
                update(RecordMemoRow)
                .where(RecordMemoRow.source_id == source, RecordMemoRow.native_id == native)
                .values(memo=json.dumps(memo))
            )
    after = _renormalise_all_changed(hub, memo=True)
    marked = {rid for rid, resource in after.items() if resource and '"languages":["xx"' in resource}
    assert len(marked) == len(planted), "each record answered from its memo"

    stale = {
        k: {e[:-1] + "0" if e.endswith("1") else e[:-1] + "1": v for e, v in m.items()}
        for k, m in planted.items()
    }
    with hub.store.session() as s, s.begin():
        for (source, native), memo in stale.items():
            s.execute(
                update(RecordMemoRow)
                .where(RecordMemoRow.source_id == source, RecordMemoRow.native_id == native)
                .values(memo=json.dumps(memo))
            )
    assert _renormalise_all_changed(hub, memo=True) == _renormalise_all_changed(hub, memo=False)
    assert not any(resource and '"xx"' in resource for resource in _stored(hub).values())


def test_a_failed_memo_write_is_a_recorded_failed_run_that_loses_nothing(hub: Hub) -> None:
    before = _stored(hub)
    with hub.store.session() as s, s.begin():
        s.execute(text("DROP TABLE record_memos"))
    run = renormalise_source(hub, "repo")
    assert run.status == "failed" and run.error and "record_memos" in run.error
    recorded = next(r for r in hub.store.list_runs("repo") if r.id == run.run_id)
    assert recorded.status == "failed"
    assert _stored(hub) == before


def test_a_record_and_its_memo_cross_to_a_helper_process_and_back(hub: Hub) -> None:
    raw, _ = next(stored_raw_records(hub.store, "repo", 1))[0]
    with_memo = WithMemo(raw.source_id, raw.native_id, raw.content_type, raw.payload, memo='{"a":1}')
    assert pickle.loads(pickle.dumps(with_memo)) == with_memo
    resource = normalise_remembering(with_memo, "oai-pmh", (None, None))
    back = pickle.loads(pickle.dumps(resource))
    assert isinstance(back, Remembered) and isinstance(resource, Remembered)
    assert back.memo == resource.memo and back.memo is not None
    assert back.model_dump_json() == resource.model_dump_json()
