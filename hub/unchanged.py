"""Payload hash first: a record delivered again byte for byte is not normalised again.

A feed is read whole on every poll, and an OAI-PMH window overlaps the last one: most records of an
incremental run are the ones already stored. ``UnchangedFilter`` holds a run's live records until a
batch is full, asks the store in two queries which of them have a live record whose raw payload has
the same SHA-256, counts those as unchanged and hands only the others on to be normalised and written.
A full run (``gkss harvest --full``) normalises everything again; so does ``gkss renormalise``, which
is what a changed crosswalk, vocabulary or source place needs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from sqlalchemy import select

from harvesters.records import RawRecord
from hub.store.models import RawRecordRow, RecordRow
from hub.store.store import Store
from normalizers.resource import resource_id


def stored_unchanged(store: Store, source_id: str, records: Sequence[RawRecord]) -> set[str]:
    """The native ids among ``records`` whose stored raw payload is the same and whose record is live."""
    if not records:
        return set()
    hashes = {raw.native_id: hashlib.sha256(raw.payload).hexdigest() for raw in records}
    with store.session() as s:
        same = {
            native_id
            for native_id, stored in s.execute(
                select(RawRecordRow.native_id, RawRecordRow.payload_hash).where(
                    RawRecordRow.source_id == source_id, RawRecordRow.native_id.in_(list(hashes))
                )
            )
            if hashes.get(native_id) == stored
        }
        if not same:
            return set()
        ids = {resource_id(source_id, native_id): native_id for native_id in same}
        live = s.scalars(
            select(RecordRow.id).where(RecordRow.id.in_(list(ids)), RecordRow.deleted.is_(False))
        )
        return {ids[rid] for rid in live}


class UnchangedFilter:
    """Batches a run's live records and passes on only those not stored already as they are."""

    def __init__(
        self,
        store: Store,
        source_id: str,
        size: int,
        normalise: Callable[[RawRecord], None],
        unchanged: Callable[[int], None],
    ) -> None:
        self.store = store
        self.source_id = source_id
        self.size = max(1, size)
        self.normalise = normalise
        self.unchanged = unchanged
        self.pending: list[RawRecord] = []

    def add(self, raw: RawRecord) -> None:
        self.pending.append(raw)
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        """Decide the held records: count the unchanged, normalise the rest in their order."""
        batch, self.pending = self.pending, []
        same = stored_unchanged(self.store, self.source_id, batch)  # by the last delivery of each id
        for raw in batch:
            if raw.native_id not in same:
                self.normalise(raw)
        if same:
            self.unchanged(len(same))  # once per record, as the store counts a batch
