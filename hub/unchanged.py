"""Payload hash first: a record delivered again byte for byte is not normalised again.

A feed is read whole on every poll, and an OAI-PMH window overlaps the last one: most records of an
incremental run are the ones already stored. ``UnchangedFilter`` holds a run's live records until a
batch is full, asks the store in two queries which of them have a live record whose raw payload has
the same SHA-256, counts those as unchanged and hands only the others on to be normalised and written.
A full run (``gkss harvest --full``) normalises everything again; so does ``gkss renormalise``, which
is what a changed crosswalk, vocabulary or source place needs.
"""

from __future__ import annotations

from collections.abc import Callable

from harvesters.records import RawRecord
from hub.store.raw import stored_unchanged
from hub.store.store import Store


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
