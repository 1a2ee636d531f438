"""A chunk of raw records normalised in a helper process: what crosses the pipe, both ways.

A run hands its records to a helper process (``hub.pipeline.beside``) in chunks of hundreds, pickled.
A ``RawRecord`` pickles as a dataclass (its state a dict built field by field, restored through
``setattr``); the same record as a plain tuple of its fields pickles and unpickles in a third of the
time, in the run's process and in the helper alike. ``rows_of`` makes those tuples (without the parsed
element, which stays in the run's process); ``normalise_rows`` rebuilds each ``RawRecord`` in the helper,
exactly as it was but for the element, and normalises the chunk (``normalize_outcomes``): the outcomes
are those of normalising the records themselves.

A helper keeps the normalisers' models and caches for as long as it lives; once its first chunk has
loaded them, they are moved out of the cyclic garbage collector's reach (``gc.freeze``): a full
collection no longer walks the models' hundreds of thousands of objects again and again (they are
never garbage while the helper lives; objects freed by reference counting still are, frozen or not).
This module imports nothing of the hub: a helper loads the normalisers alone.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from datetime import datetime

from harvesters.records import RawRecord
from normalizers.dispatch import Outcome, Place, normalize_outcomes
from normalizers.model_memo import WithMemo
from normalizers.resource import Resource

# source_id, native_id, content_type, payload, datestamp, deleted: a RawRecord's fields but its element;
# then a re-normalised record's stored memo (``WithMemo``; None for any other record)
Row = tuple[str, str, str, bytes, datetime | None, bool, str | None]
Normalise = Callable[[RawRecord, str, Place], Resource]

_frozen = False  # this process's models are out of the collector's reach (a helper's first chunk done)


def rows_of(records: Sequence[RawRecord]) -> list[Row]:
    """The records as plain tuples of their fields (the parsed element left out, a memo kept)."""
    return [
        (
            r.source_id,
            r.native_id,
            r.content_type,
            r.payload,
            r.datestamp,
            r.deleted,
            r.memo if isinstance(r, WithMemo) else None,
        )
        for r in records
    ]


def record_of(row: Row) -> RawRecord:
    """The record a row was made from (``rows_of``), but for its parsed element."""
    memo = row[6]
    return RawRecord(*row[:6]) if memo is None else WithMemo(*row[:6], memo=memo)


def normalise_rows(normalise: Normalise, rows: Sequence[Row], protocol: str, place: Place) -> list[Outcome]:
    """In a helper process: each row's outcome, in order, as ``normalize_outcomes`` gives it for the
    row's ``RawRecord``."""
    global _frozen
    outcomes = normalize_outcomes(normalise, [record_of(row) for row in rows], protocol, place)
    if not _frozen:  # the models are loaded now, and stay for the helper's life
        _frozen = True
        gc.collect()
        gc.freeze()
    return outcomes
