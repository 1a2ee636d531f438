"""The embedded index's facet terms held in memory as columns, to count the facets of a large match."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

LOAD_CHUNK = 65536  # rows read at a time
COUNT_CHUNK = 8192  # documents counted at a time (scratch of ~2 MB at a dozen terms each)


@dataclass(frozen=True, slots=True)
class FacetColumns:
    """The ``terms`` table of one generation of the index, as compressed rows by document: the terms of
    document ``d`` are ``terms[starts[d]:starts[d + 1]]``; ``labels`` names each term (field, value).

    Counting a match's facets in SQL visits every (document, term) row of the match and upserts a
    counter per row (~4 µs a row); here it is one gather and one ``bincount`` over the same rows
    (~0.05 µs a row), after the match's document numbers are read out of SQLite (~0.4 µs each).
    """

    generation: int
    starts: NDArray[np.int64]
    terms: NDArray[np.int32]
    labels: dict[int, tuple[str, str]]
    width: int  # the largest term number + 1: the length of a count

    @classmethod
    def load(cls, db: sqlite3.Connection) -> FacetColumns:
        """Read the columns in one read transaction of ``db``, so they match the generation they carry;
        rows are read in chunks into arrays of their final size (no list of every row in memory)."""
        began = not db.in_transaction
        if began:
            db.execute("BEGIN")
        try:
            generation = int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
            labels = {int(t): (f, v) for t, f, v in db.execute("SELECT term, field, value FROM facet_values")}
            size = int(db.execute("SELECT count(*) FROM terms").fetchone()[0])
            docs, terms = np.empty(size, dtype=np.int32), np.empty(size, dtype=np.int32)
            cursor, filled = db.execute("SELECT doc, term FROM terms ORDER BY doc, term"), 0
            while rows := cursor.fetchmany(LOAD_CHUNK):
                chunk = np.array(rows, dtype=np.int32)
                docs[filled : filled + len(rows)] = chunk[:, 0]
                terms[filled : filled + len(rows)] = chunk[:, 1]
                filled += len(rows)
        finally:
            if began:
                db.execute("COMMIT")
        last = int(docs[-1]) if size else 0
        starts = np.searchsorted(docs, np.arange(last + 2)).astype(np.int64)
        return cls(generation, starts, terms, labels, int(terms.max()) + 1 if size else 0)

    def count(self, docs: NDArray[np.int64]) -> dict[tuple[str, str], int]:
        """(field, value) -> how many of ``docs`` hold it (unknown documents hold none). Documents are
        taken COUNT_CHUNK at a time, so a search's scratch arrays stay small whatever the match."""
        wanted = docs[(docs >= 0) & (docs < len(self.starts) - 1)]
        counts = np.zeros(self.width, dtype=np.int64)
        for begin in range(0, len(wanted), COUNT_CHUNK):
            part = wanted[begin : begin + COUNT_CHUNK]
            low, high = self.starts[part], self.starts[part + 1]
            lengths = high - low
            total = int(lengths.sum())
            if total:
                # Positions of these documents' term rows: each one's run low..high-1, laid end to end.
                shift = np.repeat(low - (np.cumsum(lengths) - lengths), lengths)
                counts += np.bincount(self.terms[shift + np.arange(total)], minlength=len(counts))
        found = np.flatnonzero(counts)
        return {self.labels[int(t)]: int(counts[t]) for t in found if int(t) in self.labels}


def doc_numbers(joined: str | None) -> NDArray[np.int64]:
    """Document numbers from SQLite's ``group_concat(doc)``: the whole match read in one step (reading it
    row by row releases and retakes the interpreter lock per row, which 32 searching threads turn into
    a convoy)."""
    if not joined:
        return np.empty(0, dtype=np.int64)
    return np.fromstring(joined, dtype=np.int64, sep=",")
