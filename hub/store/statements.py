"""The store's statements on a harvest's path, built once.

A group of feed runs runs each of these thousands of times for a handful of rows; building a
statement anew (its clauses coerced, its cache key computed) cost more CPU than SQLite running it.
Built once at import, each is executed with its parameters (``bindparam`` names, ``ids`` lists
expanded), the same on SQLite and PostgreSQL; the upserts of the raw records and of the record
memos depend on the dialect (``raw_upsert``, ``memo_upsert``).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import String, and_, bindparam, func, insert, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from hub.store.models import RawRecordRow, RecordMemoRow, RecordRow, RunRow, SourceRow

SOURCES: Any = SourceRow.__table__
RUNS: Any = RunRow.__table__
RECORDS: Any = RecordRow.__table__
RAW: Any = RawRecordRow.__table__
MEMOS: Any = RecordMemoRow.__table__

# sources, by id (``ids``)
SOURCES_BY_ID = select(
    *(SOURCES.c[name] for name in ("id", "protocol", "url", "options", "node_id", "state"))
).where(SOURCES.c.id.in_(bindparam("ids", expanding=True)))
# a source's state (``source_key``, ``state``)
SOURCE_STATE = update(SOURCES).where(SOURCES.c.id == bindparam("source_key"))

# a new run, its id returned
RUN_INSERT = insert(RUNS).returning(RUNS.c.id)
# a run's end (``run_key`` and the columns set)
RUN_END = update(RUNS).where(RUNS.c.id == bindparam("run_key"))
# when a source's last successful run began (``source``)
LAST_SUCCESS = (
    select(RUNS.c.started_at)
    .where(RUNS.c.source_id == bindparam("source"), RUNS.c.status == "succeeded")
    .order_by(RUNS.c.id.desc())
    .limit(1)
)

# records: their hash and deletion by id (``ids``); inserted; updated; made tombstones (``record_id``)
RECORD_STATES = select(RECORDS.c.id, RECORDS.c.content_hash, RECORDS.c.deleted).where(
    RECORDS.c.id.in_(bindparam("ids", expanding=True))
)
RECORD_INSERT = insert(RECORDS)
RECORD_UPDATE = update(RECORDS).where(RECORDS.c.id == bindparam("record_id"))
# What RECORD_UPDATE sets of a live record whose Resource changed: its id fixes its source and native
# id and it stays live, so only these (and last_resource, None) are set; SQLite then leaves the
# (source_id, deleted) index and the source's foreign key check alone (about 10 µs a row)
REWRITTEN = ("content_hash", "resource", "datestamp", "changed_at", "run_id")
# the Resource a tombstone had moves to last_resource (the right side reads the old row)
RECORD_TOMBSTONE = RECORD_UPDATE.values(
    last_resource=func.coalesce(RECORDS.c.resource, RECORDS.c.last_resource)
)
# the live ones among records (``ids``)
LIVE_RECORDS = select(RECORDS.c.id).where(
    RECORDS.c.id.in_(bindparam("ids", expanding=True)), RECORDS.c.deleted.is_(False)
)

# the stored payload hashes of a source's raw records (``source``, ``ids``: native ids)
RAW_HASHES = select(RAW.c.native_id, RAW.c.payload_hash).where(
    RAW.c.source_id == bindparam("source"), RAW.c.native_id.in_(bindparam("ids", expanding=True))
)


class record_id(FunctionElement[str]):
    """A record's id from its source and native id in SQL: ``normalizers.resource.resource_id``
    (the source, a dash, the first 20 hex digits of the native id's SHA-256). SQLite calls the Python
    function the store registers on each connection (``RECORD_ID_FUNCTION``); PostgreSQL computes it."""

    type = String()
    name = "record_id"
    inherit_cache = True


RECORD_ID_FUNCTION = "gkss_record_id"  # the SQLite function of two arguments: resource_id


@compiles(record_id)
def _record_id_sqlite(element: record_id, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{RECORD_ID_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(record_id, "postgresql")
def _record_id_postgresql(element: record_id, compiler: SQLCompiler, **kw: Any) -> str:
    source, native = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({source} || '-' || left(encode(sha256(convert_to({native}, 'UTF8')), 'hex'), 20))"


@functools.cache
def raw_state(*, memos: bool, after: bool) -> Any:
    """A batch of a source's live raw records to re-normalise (``source``, ``batch``; with ``after``,
    ``after``: the last native id of the batch before), in native-id order, each with when it was
    harvested, its record's content hash and deletion (NULL: no record) and, with ``memos``, its memo
    (NULL: none or not asked), in one query: the record joins on its id made from the raw record's
    key (``record_id``), the memo on its primary key, the raw record's."""
    joined = RAW.outerjoin(RECORDS, RECORDS.c.id == record_id(RAW.c.source_id, RAW.c.native_id))
    memo: Any = MEMOS.c.memo if memos else null().label("memo")
    if memos:
        keys = and_(MEMOS.c.source_id == RAW.c.source_id, MEMOS.c.native_id == RAW.c.native_id)
        joined = joined.outerjoin(MEMOS, keys)
    raw = (RAW.c[name] for name in ("native_id", "content_type", "payload", "datestamp", "harvested_at"))
    query = (
        select(*raw, RECORDS.c.content_hash, RECORDS.c.deleted, memo)
        .select_from(joined)
        .where(RAW.c.source_id == bindparam("source"), RAW.c.deleted.is_(False))
    )
    if after:
        query = query.where(RAW.c.native_id > bindparam("after"))
    return query.order_by(RAW.c.native_id).limit(bindparam("batch"))


RAW_COLUMNS = ("content_type", "payload", "payload_hash", "datestamp", "deleted", "harvested_at")


@functools.cache
def raw_upsert(dialect: str) -> Any:
    """The raw records' insert, updating the row a source's native id already has."""
    statement: Any = postgresql.insert(RAW) if dialect == "postgresql" else sqlite.insert(RAW)
    return statement.on_conflict_do_update(
        index_elements=["source_id", "native_id"], set_={c: statement.excluded[c] for c in RAW_COLUMNS}
    )


@functools.cache
def memo_upsert(dialect: str) -> Any:
    """The record memos' insert, replacing the memo a source's native id already has."""
    statement: Any = postgresql.insert(MEMOS) if dialect == "postgresql" else sqlite.insert(MEMOS)
    return statement.on_conflict_do_update(
        index_elements=["source_id", "native_id"], set_={"memo": statement.excluded.memo}
    )
