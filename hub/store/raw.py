"""Reads of the raw records (the payloads as sources sent them): a source's live ones in batches, to
re-normalise without re-harvesting, and which of a new delivery are stored already as they are."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import select

from harvesters.records import RawRecord
from hub.store import statements
from hub.store.clock import aware
from hub.store.models import RawRecordRow
from hub.store.store import Store
from normalizers.resource import resource_id


def stored_raw_records(
    store: Store, source_id: str, batch: int
) -> Iterator[list[tuple[RawRecord, datetime]]]:
    """The source's live raw records with when each was harvested, in batches in native-id order."""
    table = RawRecordRow
    columns = (table.native_id, table.content_type, table.payload, table.datestamp, table.harvested_at)
    after: str | None = None
    while True:
        query = select(*columns).where(table.source_id == source_id, table.deleted.is_(False))
        if after is not None:
            query = query.where(table.native_id > after)
        with store.session() as s:
            rows = list(s.execute(query.order_by(table.native_id).limit(batch)))
        if not rows:
            return
        yield [
            (RawRecord(source_id, native_id, content_type, payload, aware(datestamp)), aware(harvested))
            for native_id, content_type, payload, datestamp, harvested in rows
        ]
        after = rows[-1][0]


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
