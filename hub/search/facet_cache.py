"""Keeping an embedded index's facet columns current: reread in a thread per generation of the file."""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from hub.search.sqlite_query import FacetCounter, Facets, facet_dict

if TYPE_CHECKING:  # numpy is imported only by a process that counts facets (never by a harvest)
    from hub.search.facet_columns import FacetColumns

log = logging.getLogger(__name__)
Reading = Callable[[], AbstractContextManager[sqlite3.Connection]]  # a reader connection, in a with block

FACET_COLUMNS_MIN = 100  # a match this large counts its facets from FacetColumns (below, SQL is as quick)
COLUMNS_RETRY_SECONDS = 30.0  # while the file keeps changing, FacetColumns are reread at most this often


class FacetColumnsCache:
    """The facet columns of the latest generation read. A search that finds them stale counts in SQL
    and has them reread in a thread of their own: at once when there are none, else at most every
    COLUMNS_RETRY_SECONDS (a file being harvested into changes every few milliseconds)."""

    def __init__(
        self,
        reading: Callable[[], AbstractContextManager[sqlite3.Connection]],
        minimum: int = FACET_COLUMNS_MIN,
    ) -> None:
        self._reading = reading
        self.minimum = minimum
        self.columns: FacetColumns | None = None
        self._lock = threading.Lock()
        self._loading = False
        self._tried = -math.inf
        self._closed = False

    def load(self) -> None:
        """Read the columns of the current generation now."""
        from hub.search.facet_columns import FacetColumns

        with self._reading() as db:
            self.columns = FacetColumns.load(db)

    def close(self) -> None:
        self._closed = True

    def counter(self, generation: int) -> FacetCounter:
        """The facet counter of a search that read ``generation``: None (count in SQL) for a small match
        or while the columns are not of that generation."""

        def count(db: sqlite3.Connection, total: int) -> Facets | None:
            columns = self.columns
            if total < self.minimum:
                return None
            if columns is None or columns.generation != generation:
                self._reload(stale=columns is not None)
                return None
            from hub.search.facet_columns import doc_numbers

            joined = db.execute("SELECT group_concat(doc) FROM temp.matched").fetchone()[0]
            counts = columns.count(doc_numbers(joined))
            return facet_dict((field, value, n) for (field, value), n in counts.items())

        return count

    def _reload(self, stale: bool) -> None:
        with self._lock:
            now = time.monotonic()
            if self._closed or self._loading or (stale and now - self._tried < COLUMNS_RETRY_SECONDS):
                return
            self._loading, self._tried = True, now

        def load() -> None:
            try:
                self.load()
            except (sqlite3.Error, MemoryError):  # searches keep counting in SQL
                if not self._closed:
                    log.exception("facet columns not loaded")
            finally:
                self._loading = False

        threading.Thread(target=load, name="gkss-facet-columns", daemon=True).start()
