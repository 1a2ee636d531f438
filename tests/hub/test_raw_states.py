"""The re-normalising's one read a batch (hub.store.raw.stored_raw_states): each live raw record of a
source with when it was harvested, its live record's content hash and its memo, joined on the keys.
On SQLite and PostgreSQL, every case the three separate reads it replaces covered: a record live, a
tombstone, no record; a memo, none; a raw record deleted; another source's record and memo of the
same native id; native ids that are not ASCII (the record's id made in SQL, ``statements.record_id``,
is ``resource_id``'s); batches in native-id order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import literal, select, update

from harvesters.records import RawRecord
from hub.store import Store, statements
from hub.store.memos import stored_memos
from hub.store.raw import stored_raw_records, stored_raw_states
from hub.store.store import NormalisedItem
from normalizers.resource import Provenance, Resource, resource_id
from tests.support.databases import database_kinds, fresh_store

HARVESTED = datetime(2024, 1, 1, tzinfo=UTC)
# native ids of "src": not ASCII, a slash, a long one; in the order they sort
LIVE = ["a", "b/1", "c-" + "x" * 300, "d", "é", "日本"]
MEMO = {"a": '{"m":1}', "d": '{"m":4}', "日本": '{"m":6}'}  # "b/1", "c-…", "é": none
NO_RECORD = "c-" + "x" * 300  # its raw record stored alone (its normalising failed)


def live_hashes(store: Store, source_id: str, native_ids: list[str]) -> dict[str, str]:
    """The content hash of each of ``native_ids`` whose record is live, read apart (the read the
    joined one replaces)."""
    ids = {resource_id(source_id, native_id): native_id for native_id in native_ids}
    with store.connect() as s:
        rows = s.execute(statements.RECORD_STATES, {"ids": list(ids)})
        return {ids[rid]: content_hash for rid, content_hash, deleted in rows if not deleted and content_hash}


TOMBSTONE = "d"  # its record a tombstone, its raw record live again


def _resource(source: str, native: str, title: str) -> Resource:
    return Resource(
        id=resource_id(source, native),
        source=source,
        native_id=native,
        title={"en": title},
        provenance=Provenance(
            source=source, protocol="test", native_id=native, payload_hash="x", content_type="t"
        ),
    )


def _raw(source: str, native: str, *, deleted: bool = False) -> RawRecord:
    return RawRecord(source, native, "text/plain", f"{source}:{native}".encode(), HARVESTED, deleted)


@pytest.fixture(params=database_kinds())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_store(request.param, tmp_path, "src", "other") as s:
        yield s


def _fill(store: Store) -> dict[str, str]:
    """The cases above stored; the content hash each live record of "src" was stored with."""
    run = store.start_run("src", False, None)
    with_records = [n for n in LIVE if n != NO_RECORD] + ["gone"]
    resources = {n: _resource("src", n, f"title {n}") for n in with_records}
    store.apply_batch("src", run.id, [NormalisedItem(_raw("src", n), resources[n]) for n in with_records])
    # "gone": deleted at the source, its raw record and record deleted
    store.apply_batch("src", run.id, [NormalisedItem(_raw("src", "gone", deleted=True), None)])
    # the same native ids in another source, with records and memos of their own
    other = store.start_run("other", False, None)
    theirs = [NormalisedItem(_raw("other", n), _resource("other", n, f"theirs {n}")) for n in LIVE]
    store.apply_batch("other", other.id, theirs)
    memos = [{"source_id": "src", "native_id": n, "memo": m} for n, m in MEMO.items()]
    memos += [{"source_id": "src", "native_id": "gone", "memo": '{"m":0}'}]
    memos += [{"source_id": "other", "native_id": n, "memo": '{"theirs":1}'} for n in LIVE]
    raw_alone = {
        "source_id": "src",
        "native_id": NO_RECORD,
        "content_type": "text/plain",
        "payload": f"src:{NO_RECORD}".encode(),
        "payload_hash": "h",
        "datestamp": HARVESTED,
        "deleted": False,
        "harvested_at": HARVESTED + timedelta(hours=1),
    }
    dialect = store.engine.dialect.name
    with store.begin() as s:
        s.execute(statements.memo_upsert(dialect), memos)
        s.execute(statements.raw_upsert(dialect), [raw_alone])
        tombstone = statements.RECORDS.c.id == resource_id("src", TOMBSTONE)
        s.execute(update(statements.RECORDS).where(tombstone).values(deleted=True))
    return {n: r.content_hash() for n, r in resources.items() if n not in (TOMBSTONE, "gone")}


@pytest.mark.parametrize("batch", [1, 2, 4, 500])
def test_each_live_raw_record_comes_with_its_live_records_hash_and_its_memo(store: Store, batch: int) -> None:
    hashes = _fill(store)
    batches = list(stored_raw_states(store, "src", batch))
    assert [len(b) for b in batches] == [min(batch, len(LIVE) - i) for i in range(0, len(LIVE), batch)]
    states = [state for b in batches for state in b]
    assert [s.raw.native_id for s in states] == sorted(LIVE)  # "gone" left out, native-id order
    assert {s.raw.native_id: s.content_hash for s in states} == {n: hashes.get(n) for n in LIVE}
    assert {s.raw.native_id: s.memo for s in states} == {n: MEMO.get(n) for n in LIVE}
    assert {s.raw.native_id: s.raw.payload for s in states} == {n: f"src:{n}".encode() for n in LIVE}
    harvested = {s.raw.native_id: s.harvested for s in states}
    assert harvested[NO_RECORD] == HARVESTED + timedelta(hours=1)
    assert all(s.raw.datestamp == HARVESTED and s.raw.source_id == "src" for s in states)
    # what the three reads it replaces found
    assert {s.raw.native_id: s.content_hash for s in states if s.content_hash} == live_hashes(
        store, "src", LIVE
    )
    assert {s.raw.native_id: s.memo for s in states if s.memo} == stored_memos(store, "src", LIVE)
    separately = [(raw, when) for b in stored_raw_records(store, "src", batch) for raw, when in b]
    assert separately == [(s.raw, s.harvested) for s in states]


def test_without_memos_no_memo_is_read_and_the_rest_is_the_same(store: Store) -> None:
    _fill(store)
    joined = [s for b in stored_raw_states(store, "src", 2) for s in b]
    alone = [s for b in stored_raw_states(store, "src", 2, memos=False) for s in b]
    assert [s.memo for s in alone] == [None] * len(LIVE)
    assert [(s.raw, s.harvested, s.content_hash) for s in alone] == [
        (s.raw, s.harvested, s.content_hash) for s in joined
    ]


def test_a_source_with_no_live_raw_record_reads_nothing(store: Store) -> None:
    _fill(store)
    store.add_source("empty", "feed", "http://127.0.0.1/empty", {})
    assert list(stored_raw_states(store, "empty", 10)) == []


@pytest.mark.parametrize("native", ["a", "é", "日本", "with space/and?query=1", "x" * 1000, ""])
def test_the_record_id_made_in_sql_is_resource_id(store: Store, native: str) -> None:
    query = select(statements.record_id(literal("src"), literal(native)))
    with store.connect() as s:
        assert s.scalar(query) == resource_id("src", native)
