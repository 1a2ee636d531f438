"""A run's writes: normalised records and failures to the store batch by batch, and to the index."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

from harvesters.records import RawRecord, RecordFailure
from hub.background import OrderedWorker
from hub.context import Hub
from hub.pipeline.summary import RunSummary
from hub.store.store import BatchResult, NormalisedItem
from normalizers.chunks import Ready
from normalizers.resource import Resource

logger = logging.getLogger(__name__)

_Batch = tuple[list[NormalisedItem], list[RecordFailure]]
# Records a run gives the index in one call (one bulk request of a cluster; the embedded index, a
# PendingSink, commits every few calls): the pending records, the writer's heap and the merges are
# memory the run holds: 1,000 keeps a long run flat under 300 MB (docs/harvest-performance.md).
INDEX_BATCH = 1000


class IndexSink(Protocol):
    """Where a run's writer sends its index writes: the hub's index, or the shared commits of a group
    of runs (``hub.pipeline.group``)."""

    def add(self, resources: Iterable[Resource]) -> int: ...

    def delete(self, ids: Iterable[str]) -> int: ...


@runtime_checkable
class PendingSink(Protocol):
    """An index that can take a run's records without making each write searchable at once (the
    embedded index: fewer commits); everything is searchable after ``commit_pending``."""

    def add_pending(
        self,
        resources: Iterable[Resource],
        commit_every: int | None = None,
        *,
        encoded: Sequence[str] | None = None,
        fields: Sequence[dict[str, Any] | None] | None = None,
    ) -> int:
        """Take the resources (``encoded``: their JSON, as the store wrote it, in the same order;
        ``fields``: their documents' fields where a helper made them, None where it did not)."""
        ...

    def commit_pending(self) -> None: ...


class RunWriter:
    """Buffers normalised records and writes them to the store and the index batch by batch.

    The writes run in a thread of their own, in order, at most two batches behind the harvest
    (SQLite and the index client do their work outside the GIL); ``finish`` waits for them. The
    store is written batch by batch; the index gets up to ``index_batch`` records at a time (a
    removal first sends what is pending), and everything by ``drain`` and ``finish``; an index that
    is a ``PendingSink`` commits them as it sees fit, and everything by ``finish``. ``raw=False``
    (re-normalising): only the normalised rows are written, never the raw ones.
    """

    def __init__(
        self,
        hub: Hub,
        source_id: str,
        run_id: int,
        summary: RunSummary,
        index: IndexSink | None = None,
        *,
        raw: bool = True,
        index_batch: int = INDEX_BATCH,
        index_commit: int | None = None,
    ) -> None:
        self.hub = hub
        self.raw = raw  # False: the raw rows are left as they are (re-normalising reads them)
        self.index_batch = index_batch
        self.index_commit = index_commit  # a PendingSink's documents per commit (None: its own)
        self.index: IndexSink = hub.index if index is None else index
        self.source_id = source_id
        self.run_id = run_id
        self.summary = summary
        self.items: list[NormalisedItem] = []
        self.failures: list[RecordFailure] = []
        self.index_failed = False
        # stored, not yet given to the index (the latest per id), with its JSON as the store wrote it
        # and its document's fields when a helper made them
        self.to_index: dict[str, tuple[Resource, str, dict[str, Any] | None]] = {}
        self.worker: OrderedWorker[_Batch] | None = None  # started with the first batch to write

    def add(self, raw: RawRecord, resource: Resource | Ready | None) -> None:
        """Write ``resource`` (None: a tombstone; ``Ready``: with its writes made in a helper)."""
        if raw.element is not None:  # the parsed payload (and with it the harvester's page) is done with
            raw = dataclasses.replace(raw, element=None)
        if isinstance(resource, Ready):
            self.items.append(NormalisedItem(raw, resource.resource, resource))
        else:
            self.items.append(NormalisedItem(raw, resource))
        if len(self.items) >= self.hub.settings.batch_size:
            self.flush()

    def fail(self, failure: RecordFailure) -> None:
        self.summary.failed += 1
        self.failures.append(failure)
        if len(self.failures) >= self.hub.settings.batch_size:
            self.flush()

    def flush(self, *, waited: bool = False) -> None:
        """Hand what is buffered to the writer thread; ``waited``: the caller waits for the write
        anyway, so a run that has not started the thread writes it here (a feed run's one batch)."""
        if self.items or self.failures:
            batch, self.items, self.failures = (self.items, self.failures), [], []
            if self.worker is None and waited:  # nothing to overlap with: no thread started for it
                self._write(batch)
                return
            if self.worker is None:  # started by the first full batch: a long run writes beside its harvest
                self.worker = OrderedWorker(self._write, depth=2, name=f"write-{self.source_id}")
            self.worker.submit(batch)

    def drain(self) -> None:
        """Write what is buffered and wait for it; more can be added afterwards."""
        try:
            self.flush(waited=True)
            if self.worker is not None:
                self.worker.drain()
        finally:
            self._send_index()

    def finish(self) -> None:
        """Write what is buffered and wait for every write; raises the first write error."""
        try:
            self.flush(waited=True)
            if self.worker is not None:
                self.worker.finish()
        finally:
            self._send_index()
            if isinstance(self.index, PendingSink):
                self._guard(self.index.commit_pending)

    def _write(self, batch: _Batch) -> None:
        items, failures = batch
        if items:
            result = self.hub.store.apply_batch(self.source_id, self.run_id, items, raw=self.raw)
            self.summary.add(result)
            self._index(result)
        if failures:
            self.hub.store.record_failures(self.run_id, failures)

    def _index(self, result: BatchResult) -> None:
        """The store is the truth: an index failure is noted, never loses the run."""
        if self.index_failed:
            return
        if result.to_unindex:
            self._send_index()
            self._guard(lambda: self.index.delete(result.to_unindex))
        for resource, encoded, fields in zip(result.to_index, result.encoded, result.fields, strict=True):
            self.to_index[resource.id] = (resource, encoded, fields)
        if len(self.to_index) >= self.index_batch:
            self._send_index()

    def _send_index(self) -> None:
        """Give the index the records stored since the last call."""
        if self.to_index and not self.index_failed:
            pending, self.to_index = list(self.to_index.values()), {}
            resources = [resource for resource, _, _ in pending]
            index = self.index
            if isinstance(index, PendingSink):  # the JSON the store made is not made again
                encoded = [json for _, json, _ in pending]
                fields = [made for _, _, made in pending]
                self._guard(
                    lambda: index.add_pending(resources, self.index_commit, encoded=encoded, fields=fields)
                )
            else:
                self._guard(lambda: index.add(resources))
        self.to_index.clear()

    def _guard(self, work: Callable[[], object]) -> None:
        if self.index_failed:
            return
        try:
            work()
        except Exception as exc:  # any backend error; the index is rebuilt from the store
            self.index_error(exc)

    def index_error(self, exc: Exception) -> None:
        """Note that the index missed this run's writes (the next run of its source levels it)."""
        if self.index_failed:
            return
        self.index_failed = True
        logger.error("source %s run %s: index update failed", self.source_id, self.run_id, exc_info=exc)
        self.summary.notes.append(
            f"index update failed ({type(exc).__name__}: {exc}); the store is complete, "
            "the next run of this source levels the index from the store"
        )
