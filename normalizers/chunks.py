"""A chunk of raw records normalised in a helper process: what crosses the pipe, both ways.

A run hands its records to a helper process (``hub.pipeline.beside``) in chunks of hundreds, pickled.
A ``RawRecord`` pickles as a dataclass (its state a dict built field by field, restored through
``setattr``); the same record as a plain tuple of its fields pickles and unpickles in a third of the
time, in the run's process and in the helper alike. ``rows_of`` makes those tuples (without the parsed
element, which stays in the run's process); ``normalise_rows`` rebuilds each ``RawRecord`` in the helper,
exactly as it was but for the element, and normalises the chunk (``normalize_outcomes``): the outcomes
are those of normalising the records themselves.

A re-normalised record also carries when its stored record was harvested and the content hash of its
live stored record (``Stored``): the helper stamps its Resource with that time (as the run's process
would) and makes what the record's writes need of the Resource alone, a ``Ready``: its content hash
and, when that differs from the stored one, its JSON as the store keeps it and, with a ``prepare`` (the
embedded index's), its index document's fields. The run's process then writes them as they are: its
own process bounds a re-normalising of changed records, and its helpers have time to spare; an
unchanged record costs the helper only its hash.

A helper keeps the normalisers' models and caches for as long as it lives; once its first chunk has
loaded them, they are moved out of the cyclic garbage collector's reach (``gc.freeze``): a full
collection no longer walks the models' hundreds of thousands of objects again and again (they are
never garbage while the helper lives; objects freed by reference counting still are, frozen or not).
This module imports nothing of the hub: a helper loads the normalisers alone.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harvesters.records import RawRecord
from normalizers.dispatch import Outcome, Place, normalize_outcomes
from normalizers.model_memo import WithMemo
from normalizers.resource import Resource

# When a re-normalised record's stored record was harvested, and the content hash of that record when
# live (None: none live)
Stored = tuple[datetime, str | None]
# source_id, native_id, content_type, payload, datestamp, deleted: a RawRecord's fields but its element;
# then a re-normalised record's stored memo (``WithMemo``; None for any other record) and its
# ``Stored`` (None: the run's process stamps the Resource, and nothing is made ready)
Row = tuple[str, str, str, bytes, datetime | None, bool, str | None, Stored | None]
Normalise = Callable[[RawRecord, str, Place], Resource]
# The index document's fields of a Resource with its JSON (hub.search.tantivy_schema.document_fields)
Prepare = Callable[[Resource, str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Ready:
    """A Resource, stamped with its harvest time, with what its writes need made beforehand:
    ``content_hash`` (``resource.content_hash()``), ``json`` (``resource.model_dump_json()``, what the
    store keeps) and ``fields`` (the index document's); the last two None when the hash is the stored
    record's (nothing to write) or, for ``fields``, without a ``prepare``."""

    resource: Resource
    content_hash: str
    json: str | None = None
    fields: dict[str, Any] | None = None


Delivered = Outcome | Ready  # what a helper hands back for a record

_frozen = False  # this process's models are out of the collector's reach (a helper's first chunk done)


def rows_of(records: Sequence[RawRecord], stored: Sequence[Stored | None] | None = None) -> list[Row]:
    """The records as plain tuples of their fields (the parsed element left out, a memo kept), each
    with its ``Stored`` from ``stored`` (in order; None without)."""
    times = [None] * len(records) if stored is None else stored
    return [
        (
            r.source_id,
            r.native_id,
            r.content_type,
            r.payload,
            r.datestamp,
            r.deleted,
            r.memo if isinstance(r, WithMemo) else None,
            at,
        )
        for r, at in zip(records, times, strict=True)
    ]


def ready(resource: Resource, stored: Stored, prepare: Prepare | None) -> Ready:
    """``resource`` stamped with when its record was harvested, and what its writes need (nothing but
    its hash when that is the stored record's)."""
    harvested, stored_hash = stored
    resource.harvested = resource.provenance.harvested = harvested
    content_hash = resource.content_hash()
    if content_hash == stored_hash:  # unchanged: the store writes nothing of it
        return Ready(resource, content_hash)
    json = resource.model_dump_json()
    return Ready(resource, content_hash, json, prepare(resource, json) if prepare is not None else None)


def record_of(row: Row) -> RawRecord:
    """The record a row was made from (``rows_of``), but for its parsed element."""
    memo = row[6]
    return RawRecord(*row[:6]) if memo is None else WithMemo(*row[:6], memo=memo)


def normalise_rows(
    normalise: Normalise, rows: Sequence[Row], protocol: str, place: Place, prepare: Prepare | None = None
) -> list[Delivered]:
    """In a helper process: each row's outcome, in order, as ``normalize_outcomes`` gives it for the
    row's ``RawRecord``; a Resource of a row with a ``Stored`` comes stamped with its harvest time,
    ``Ready``."""
    global _frozen
    outcomes: list[Delivered] = list(
        normalize_outcomes(normalise, [record_of(row) for row in rows], protocol, place)
    )
    for i, (row, outcome) in enumerate(zip(rows, outcomes, strict=True)):
        if row[7] is not None and isinstance(outcome, Resource):
            outcomes[i] = ready(outcome, row[7], prepare)
    if not _frozen:  # the models are loaded now, and stay for the helper's life
        _frozen = True
        gc.collect()
        gc.freeze()
    return outcomes
