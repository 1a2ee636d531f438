"""The Store: sources, records (batched upserts of raw and normalised records, tombstones), runs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    delete,
    event,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from harvesters.records import RawRecord
from hub.store import statements
from hub.store.clock import utcnow
from hub.store.models import RawRecordRow, RecordErrorRow, RecordMemoRow, RecordRow, RunRow, SourceRow
from hub.store.runs import RunLog
from normalizers.chunks import Ready
from normalizers.model_memo import Remembered
from normalizers.resource import Resource, resource_id
from registry.sources import StoredSource, stored_source


@dataclass(slots=True)
class BatchResult:
    """What one batch did to the store, and what the index must now do."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    to_index: list[Resource] = field(default_factory=list)
    encoded: list[str] = field(default_factory=list)  # the JSON stored of each of to_index, in order
    # the index document fields a helper made for each of to_index, in order (None: none made)
    fields: list[dict[str, Any] | None] = field(default_factory=list)
    to_unindex: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class NormalisedItem:
    """A raw record and the Resource made from it (None for a tombstone); ``ready``: the Resource's
    JSON, content hash and index fields made beforehand (in a re-normalising helper)."""

    raw: RawRecord
    resource: Resource | None
    ready: Ready | None = None


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # 16 KiB pages (the default is 4): a record row with its payload fits a page, and a batch is
    # written to the WAL in a quarter of the writes. Takes effect when the file is created.
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Checkpoint the WAL every 16,384 pages (256 MiB with the 16 KiB pages above; SQLite's default is
    # 1,000 pages): a harvest commits a batch every few milliseconds, and each checkpoint is a sync of
    # the database file.
    cursor.execute("PRAGMA wal_autocheckpoint=16384")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # a record's id in SQL (statements.record_id): the keys a re-normalising's one read joins on
    dbapi_connection.create_function(statements.RECORD_ID_FUNCTION, 2, resource_id, deterministic=True)


class Store(RunLog):
    """The hub's truth, on any SQLAlchemy database (SQLite by default, PostgreSQL in scale-out)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _on_sqlite_connect)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_all(self) -> None:
        """Bring the database to the newest schema (Alembic migrations, the same for every database);
        Alembic is loaded only when the database is not at the newest revision already."""
        from hub.store.schema_head import at_head

        if at_head(self.engine):
            return
        from hub.store.migrate import upgrade

        upgrade(self.engine)

    def session(self) -> Session:
        return self._sessions()

    def begin(self) -> AbstractContextManager[Connection]:
        """A connection in a transaction, committed on leaving (Core statements: no ORM unit of work)."""
        return self.engine.begin()

    def connect(self) -> AbstractContextManager[Connection]:
        """A connection for reads (Core statements)."""
        return self.engine.connect()

    def close(self) -> None:
        self.engine.dispose()

    # --- sources -------------------------------------------------------------------------

    def add_source(
        self, source_id: str, protocol: str, url: str, options: dict[str, Any], node_id: str | None = None
    ) -> StoredSource:
        now = utcnow()
        row = SourceRow(
            id=source_id,
            protocol=protocol,
            url=url,
            options=options,
            state={},
            node_id=node_id,
            created_at=now,
            updated_at=now,
        )
        with self.session() as s, s.begin():
            if s.get(SourceRow, source_id) is not None:
                raise KeyError(f"source {source_id!r} already exists")
            s.add(row)
        return _source(row)

    def get_source(self, source_id: str) -> StoredSource | None:
        return self.get_sources([source_id]).get(source_id)

    def get_sources(self, source_ids: Iterable[str]) -> dict[str, StoredSource]:
        """The stored sources among ``source_ids``, by id, read in one query."""
        wanted = list(dict.fromkeys(source_ids))
        if not wanted:
            return {}
        with self.connect() as connection:
            rows = connection.execute(statements.SOURCES_BY_ID, {"ids": wanted})
            return {row.id: _source(row) for row in rows}

    def list_sources(self) -> list[StoredSource]:
        with self.session() as s:
            return [_source(row) for row in s.scalars(select(SourceRow).order_by(SourceRow.id))]

    def update_source(
        self,
        source_id: str,
        *,
        url: str | None = None,
        options: dict[str, Any] | None = None,
        node_id: str | None = None,
    ) -> StoredSource:
        """Change a source's URL (resetting its state), options (merged) or node (``node_id``: moved)."""
        with self.session() as s, s.begin():
            row = s.get(SourceRow, source_id)
            if row is None:
                raise KeyError(f"no source {source_id!r}")
            if node_id is not None:
                row.node_id = node_id
            if url is not None and url != row.url:
                row.url = url
                row.state = {}
            if options is not None:  # merged; a key given as None is removed
                merged = {**row.options, **options}
                row.options = {key: value for key, value in merged.items() if value is not None}
            row.updated_at = utcnow()
            return _source(row)

    def set_source_state(self, source_id: str, state: dict[str, Any]) -> None:
        with self.session() as s, s.begin():
            s.execute(update(SourceRow).where(SourceRow.id == source_id).values(state=state))

    def remove_source(self, source_id: str) -> list[str]:
        """Remove a source with its runs and records; returns the live record ids to unindex."""
        with self.session() as s, s.begin():
            if s.get(SourceRow, source_id) is None:
                raise KeyError(f"no source {source_id!r}")
            ids = list(s.scalars(select(RecordRow.id).where(RecordRow.source_id == source_id)))
            run_ids = select(RunRow.id).where(RunRow.source_id == source_id)
            s.execute(delete(RecordErrorRow).where(RecordErrorRow.run_id.in_(run_ids)))
            for table in (RecordRow, RawRecordRow, RecordMemoRow, RunRow):
                s.execute(delete(table).where(table.source_id == source_id))
            s.execute(delete(SourceRow).where(SourceRow.id == source_id))
        return ids

    # --- records -------------------------------------------------------------------------

    def apply_batch(
        self, source_id: str, run_id: int, items: Sequence[NormalisedItem], *, raw: bool = True
    ) -> BatchResult:
        """Upsert a batch of raw + normalised records and tombstones in one transaction.

        ``raw=False``: the raw rows are left as they are (re-normalising reads them, never changes them).
        A ``Remembered`` Resource's new memo (the models' answers) is kept too, changed or not."""
        result = BatchResult()
        latest: dict[str, NormalisedItem] = {}
        for item in items:
            latest[item.raw.native_id] = item
        if not latest:
            return result
        now = utcnow()
        by_id = {resource_id(source_id, native): item for native, item in latest.items()}
        with self.begin() as s:  # Core statements built once (hub.store.statements), no ORM session
            existing = {
                row.id: (row.content_hash, row.deleted)
                for row in s.execute(statements.RECORD_STATES, {"ids": list(by_id)})
            }
            if raw:
                rows = [_raw_row(source_id, item.raw, now) for item in latest.values()]
                s.execute(statements.raw_upsert(self.engine.dialect.name), rows)
            inserts: list[dict[str, Any]] = []
            updates: list[dict[str, Any]] = []
            rewrites: list[dict[str, Any]] = []  # live rows whose Resource changed
            tombstones: list[dict[str, Any]] = []  # live rows becoming tombstones
            memos: list[dict[str, Any]] = []  # new memos of the models' answers (normalizers/model_memo.py)
            for rid, item in by_id.items():
                before = existing.get(rid)
                resource = item.resource
                if isinstance(resource, Remembered) and resource.memo is not None:
                    memos.append(
                        {"source_id": source_id, "native_id": item.raw.native_id, "memo": resource.memo}
                    )
                if resource is None:
                    if before is not None and before[1]:
                        result.unchanged += 1
                        continue
                    result.deleted += 1
                    result.to_unindex.append(rid)
                    target = tombstones if before is not None else inserts
                    target.append(_record_values(rid, source_id, run_id, item, now, None))
                    continue
                ready = item.ready
                # the JSON is only made for rows that are written
                content_hash = ready.content_hash if ready is not None else resource.content_hash()
                if before is None:
                    result.added += 1
                    target = inserts
                elif before[1]:  # a tombstone lives again
                    result.updated += 1
                    target = updates
                elif before[0] != content_hash:  # a live record changed: only what can change is set
                    result.updated += 1
                    target = rewrites
                else:
                    result.unchanged += 1
                    continue
                values = _record_values(rid, source_id, run_id, item, now, content_hash)
                target.append(values)
                result.to_index.append(resource)
                result.encoded.append(values["resource"])
                result.fields.append(ready.fields if ready is not None else None)
            if inserts:  # Core executemany: the same INSERT without the ORM bulk-insert bookkeeping
                s.execute(statements.RECORD_INSERT, inserts)
            if updates:  # one executemany UPDATE ... WHERE id = ? instead of a statement per row
                s.execute(
                    statements.RECORD_UPDATE,
                    [{"record_id": values.pop("id"), **values, "last_resource": None} for values in updates],
                )
            if rewrites:  # its id gives the source and native id; it was live and stays so
                rewritten = statements.REWRITTEN
                s.execute(
                    statements.RECORD_UPDATE,
                    [
                        {"record_id": v["id"], **{c: v[c] for c in rewritten}, "last_resource": None}
                        for v in rewrites
                    ],
                )
            if memos:
                s.execute(statements.memo_upsert(self.engine.dialect.name), memos)
            if tombstones:  # the Resource they had moves to last_resource
                s.execute(
                    statements.RECORD_TOMBSTONE,
                    [{"record_id": values.pop("id"), **values} for values in tombstones],
                )
        return result

    def get_record(self, rid: str) -> RecordRow | None:
        with self.session() as s:
            return s.get(RecordRow, rid)

    def get_resource(self, rid: str) -> Resource | None:
        row = self.get_record(rid)
        if row is None or row.deleted or row.resource is None:
            return None
        return Resource.model_validate_json(row.resource)

    def count_records(self, source_id: str | None = None, *, deleted: bool = False) -> int:
        with self.session() as s:
            query = select(func.count()).select_from(RecordRow).where(RecordRow.deleted == deleted)
            if source_id is not None:
                query = query.where(RecordRow.source_id == source_id)
            return int(s.scalar(query) or 0)

    def live_ids(self, source_id: str | None = None) -> Iterator[str]:
        with self.session() as s:
            query = select(RecordRow.id).where(RecordRow.deleted.is_(False)).order_by(RecordRow.id)
            if source_id is not None:
                query = query.where(RecordRow.source_id == source_id)
            yield from s.scalars(query.execution_options(yield_per=5000))

    def live_native_ids(self, source_id: str) -> Iterator[str]:
        """The source's own ids of its live records (deletion policies compare a run against them)."""
        with self.session() as s:
            query = select(RecordRow.native_id).where(
                RecordRow.source_id == source_id, RecordRow.deleted.is_(False)
            )
            yield from s.scalars(query.execution_options(yield_per=5000))

    def iter_resources(self, source_id: str | None = None, batch: int = 1000) -> Iterator[list[Resource]]:
        """Every live Resource in batches, for (re)indexing."""
        with self.session() as s:
            query = select(RecordRow.resource).where(RecordRow.deleted.is_(False)).order_by(RecordRow.id)
            if source_id is not None:
                query = query.where(RecordRow.source_id == source_id)
            chunk: list[Resource] = []
            for text in s.scalars(query.execution_options(yield_per=batch)):
                if text is None:
                    continue
                chunk.append(Resource.model_validate_json(text))
                if len(chunk) >= batch:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk


def _source(row: Any) -> StoredSource:
    """The source a row (a ``SourceRow`` or a Core row of its columns) holds, as the store hands it
    out (the row itself never leaves the store)."""
    return stored_source(row.id, row.protocol, row.url, row.options, node_id=row.node_id, state=row.state)


def _raw_row(source_id: str, raw: RawRecord, now: datetime) -> dict[str, Any]:
    return {
        "source_id": source_id,
        "native_id": raw.native_id,
        "content_type": raw.content_type,
        "payload": raw.payload,
        "payload_hash": hashlib.sha256(raw.payload).hexdigest(),
        "datestamp": raw.datestamp,
        "deleted": raw.deleted,
        "harvested_at": now,
    }


def _json(item: NormalisedItem) -> str | None:
    """The JSON stored of an item's Resource: made in a helper, or here."""
    ready = item.ready
    if ready is not None and ready.json is not None:
        return ready.json
    return item.resource.model_dump_json() if item.resource is not None else None


def _record_values(
    rid: str, source_id: str, run_id: int, item: NormalisedItem, now: datetime, content_hash: str | None
) -> dict[str, Any]:
    """The records row of an item; ``content_hash`` is ``item.resource.content_hash()`` (None: tombstone)."""
    resource = item.resource
    return {
        "id": rid,
        "source_id": source_id,
        "native_id": item.raw.native_id,
        "content_hash": content_hash if resource else None,
        "resource": _json(item) if resource else None,
        "deleted": resource is None,
        "datestamp": item.raw.datestamp,
        "changed_at": now,
        "run_id": run_id,
    }
