"""Reads of the raw records (the payloads as sources sent them): a source's live ones in batches, to
re-normalise without re-harvesting, and which of a new delivery are stored already as they are."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from harvesters.records import RawRecord
from hub.store import statements
from hub.store.clock import aware
from hub.store.models import RawRecordRow
from hub.store.store import Store
from normalizers.resource import resource_id


@dataclass(frozen=True, slots=True)
class StoredRaw:
    """A live raw record read back to re-normalise, with what the store holds beside it."""

    raw: RawRecord
    harvested: datetime  # when it was harvested
    content_hash: str | None  # its record's content hash when that record is live (None: none live)
    memo: str | None  # its memo (JSON text; None: none, or not asked for)


def stored_raw_states(
    store: Store, source_id: str, batch: int, *, memos: bool = True
) -> Iterator[list[StoredRaw]]:
    """The source's live raw records in batches in native-id order, each with when it was harvested,
    its live record's content hash and (with ``memos``) its memo: one query a batch
    (``statements.raw_state``), where reading the three apart took three."""
    after: str | None = None
    while True:
        statement = statements.raw_state(memos=memos, after=after is not None)
        with store.connect() as s:
            rows = list(s.execute(statement, {"source": source_id, "batch": batch, "after": after}))
        if not rows:
            return
        yield [
            StoredRaw(
                RawRecord(source_id, native_id, content_type, payload, aware(datestamp)),
                aware(harvested),
                content_hash if content_hash and deleted is not None and not deleted else None,
                memo,
            )
            for native_id, content_type, payload, datestamp, harvested, content_hash, deleted, memo in rows
        ]
        after = rows[-1][0]


def stored_raw_records(
    store: Store, source_id: str, batch: int
) -> Iterator[list[tuple[RawRecord, datetime]]]:
    """The source's live raw records with when each was harvested, in batches in native-id order."""
    for states in stored_raw_states(store, source_id, batch, memos=False):
        yield [(state.raw, state.harvested) for state in states]


def stored_unchanged(store: Store, source_id: str, records: Sequence[RawRecord]) -> set[str]:
    """The native ids among ``records`` whose stored raw payload is the same and whose record is live."""
    if not records:
        return set()
    hashes = {raw.native_id: hashlib.sha256(raw.payload).hexdigest() for raw in records}
    with store.connect() as s:
        rows = s.execute(statements.RAW_HASHES, {"source": source_id, "ids": list(hashes)})
        same = {native_id for native_id, stored in rows if hashes.get(native_id) == stored}
        if not same:
            return set()
        ids = {resource_id(source_id, native_id): native_id for native_id in same}
        return {ids[rid] for rid in s.scalars(statements.LIVE_RECORDS, {"ids": list(ids)})}


def stored_payload_hashes(store: Store, source_id: str) -> dict[str, str]:
    """The SHA-256 of each stored raw payload of a source, by native id (live or not)."""
    with store.session() as s:
        rows = s.execute(
            select(RawRecordRow.native_id, RawRecordRow.payload_hash).where(
                RawRecordRow.source_id == source_id
            )
        )
        return {native_id: payload_hash for native_id, payload_hash in rows}
