"""The embedded index's writes: one Tantivy writer at a time, its commits, and the merges they start.

A write (``write``) takes the index directory's writer lock (across processes), runs its work with a
new writer, commits, and makes the commit searchable; the merges the commit starts end in a thread
that keeps the lock until they end. A long run's additions (``add_pending``) keep one writer open
across calls instead and commit once ``COMMIT_EVERY`` documents are pending (or at
``commit_pending``, any other write, ``close``): a commit and the merges it starts cost much the
same for 1,000 documents as for 5,000, and the documents wait in Tantivy's writer heap (bounded),
not in the run's memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import tantivy

from hub.search.fts_text import clean
from hub.search.tantivy_files import HeldLock, IndexFiles, merged
from hub.search.tantivy_schema import document
from normalizers.resource import Resource

HEAP, SMALL_HEAP, SMALL_WRITE = 32_000_000, 15_000_000, 1000  # writer heap; Tantivy's least, to 1000 docs
# Documents added by ``add_pending`` per commit (a harvest's writer adds 1,000 at a time: a commit
# every 3,000), with the larger heap: fewer and larger segments, hence fewer merges, while a long
# harvest's process stays under 300 MB (docs/harvest-performance.md, "The write stage").
COMMIT_EVERY = 2500


class Writes:
    """The writes of one TantivyIndex (``lock``: its lock for this process's threads; ``committed``:
    called, under the lock, after each commit to make it searchable)."""

    def __init__(
        self,
        index: tantivy.Index,
        files: IndexFiles | None,
        lock: threading.RLock,
        committed: Callable[[], None],
    ) -> None:
        self._index = index
        self._files = files
        self._lock = lock
        self._committed = committed
        self._merging: threading.Thread | None = None  # waiting for the last commit's merges
        self._open: tuple[tantivy.IndexWriter, HeldLock | None] | None = None  # add_pending's writer
        self._pending = 0  # documents added to it since its last commit

    def write(self, work: Callable[[tantivy.IndexWriter], Any], size: int | None = None) -> Any:
        """Run ``work(writer)`` with the index's only writer, commit, make the commit searchable.
        ``size``: the documents it adds, when known (a small write gets a small heap)."""
        with self._lock:
            self.commit_pending()
            writer, held = self._writer(SMALL_HEAP if size is not None and size <= SMALL_WRITE else HEAP)
            try:
                result = work(writer)
            except BaseException:
                self._abandon(writer, held)
                raise
            self._commit(writer, held)
        return result

    def add_pending(self, add: Callable[[tantivy.IndexWriter], int], commit_every: int | None = None) -> int:
        """Run ``add(writer)`` (which adds documents and returns how many) with the writer kept open
        for them; commit when ``commit_every`` (None: ``COMMIT_EVERY``) are pending. On an error
        everything pending since the last commit is dropped (the store still has it) and raised."""
        with self._lock:
            if self._open is None:
                self._open, self._pending = self._writer(HEAP), 0
            writer, held = self._open
            try:
                added = add(writer)
            except BaseException:
                self._open = None
                self._abandon(writer, held)
                raise
            self._pending += added
            if self._pending >= (COMMIT_EVERY if commit_every is None else commit_every):
                self.commit_pending()
        return added

    def commit_pending(self) -> None:
        """Commit what ``add_pending`` added since the last commit, and make it searchable."""
        with self._lock:
            if self._open is not None:
                (writer, held), self._open = self._open, None
                self._commit(writer, held)

    def settle(self) -> None:
        """Wait for the merges of this process's last commit."""
        merging, self._merging = self._merging, None
        if merging is not None:
            merging.join()

    def _writer(self, heap: int) -> tuple[tantivy.IndexWriter, HeldLock | None]:
        self.settle()
        held = self._files.hold() if self._files is not None else None
        try:
            return self._index.writer(heap_size=heap, num_threads=1), held
        except BaseException:
            if held is not None:
                held.close()
            raise

    def _commit(self, writer: tantivy.IndexWriter, held: HeldLock | None) -> None:
        try:
            writer.commit()
            self._committed()
        except BaseException:
            self._abandon(writer, held)
            raise
        self._merging = threading.Thread(
            target=merged, args=(writer, held), name="gkss-index-merges", daemon=False
        )
        self._merging.start()

    @staticmethod
    def _abandon(writer: tantivy.IndexWriter, held: HeldLock | None) -> None:
        try:
            writer.rollback()
            writer.wait_merging_threads()
        finally:
            if held is not None:
                held.close()


def documents_of(
    resources: Iterable[Resource],
    encoded: Sequence[str] | None = None,
    fields: Sequence[dict[str, Any] | None] | None = None,
) -> dict[str, tantivy.Document]:
    """The documents of the resources (the latest of each id), by the id they are indexed under.

    ``encoded``: each resource's ``model_dump_json()`` when the caller made it already (the store's
    JSON of a run's records), in the order of ``resources``; else each is encoded here. ``fields``
    (with ``encoded``): each one's ``document_fields`` where a re-normalising helper made them, None
    where it did not."""
    latest: dict[str, tuple[Resource, str | None, dict[str, Any] | None]]
    if encoded is None:
        latest = {clean(resource.id): (resource, None, None) for resource in resources}
    else:
        made = [None] * len(encoded) if fields is None else fields
        latest = {clean(r.id): (r, json, f) for r, json, f in zip(resources, encoded, made, strict=True)}
    return {
        rid: tantivy.Document(**f) if f is not None else document(resource, json)
        for rid, (resource, json, f) in latest.items()
    }


def adding(documents: dict[str, tantivy.Document]) -> Any:
    """A write that replaces or adds the documents."""

    def work(writer: tantivy.IndexWriter) -> int:
        for rid, doc in documents.items():
            writer.delete_documents_by_term("id", rid)
            writer.add_document(doc)
        return len(documents)

    return work
