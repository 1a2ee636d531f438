"""Reads of the records table in change order, (changed_at, id): what the OAI-PMH provider lists
(keyset pages, counts, the earliest and newest change) and the tombstones the feeds and WebSub serve.

Every datetime handed back is aware UTC (SQLite hands back naive UTC values, PostgreSQL the session's
zone).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, TypeAlias

from sqlalchemy import ColumnElement, Row, func, or_, select, tuple_

from hub.store.models import RecordRow
from hub.store.store import Store


@dataclass(frozen=True, slots=True)
class Selection:
    """Which records a list reads: ``start <= changed_at < end`` (None leaves that side open), those
    of one source (None: all), only those with a Resource (live, or a tombstone's last one) when
    ``with_resource``, and only those whose Resource JSON holds every one of ``literals``."""

    start: datetime | None = None
    end: datetime | None = None
    source: str | None = None
    with_resource: bool = False
    literals: tuple[str, ...] = ()


class Change(NamedTuple):
    """A record as the change lists read it: its Resource JSON (None for a tombstone), and for a
    tombstone the Resource JSON it had when deleted, when known."""

    id: str
    source_id: str
    changed_at: datetime
    resource: str | None
    last_resource: str | None


# A row of a keyset page as the database hands it back (no conversion per row: the provider reads
# pages of them); its changed_at is naive UTC from SQLite, so read it through ``utc``. A string: at
# run time SQLAlchemy 2.0's Row takes one type parameter, 2.1's several.
ChangeRow: TypeAlias = "Row[str, str, datetime, str | None, str | None]"

_COLUMNS = (
    RecordRow.id,
    RecordRow.source_id,
    RecordRow.changed_at,
    RecordRow.resource,
    RecordRow.last_resource,
)


def utc(value: datetime) -> datetime:
    """An aware UTC datetime (SQLite hands back naive UTC values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _conditions(selection: Selection, ordered_scan: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a selection.

    ``ordered_scan`` (SQLite pages): the source test is written so that SQLite cannot use the
    (source_id, deleted) index for it. With that index SQLite reads the whole source and sorts it
    for every page (quadratic over a list); without it, it walks (changed_at, id) in order and stops
    after a page, so a whole list costs one pass. An index on (source_id, changed_at, id) would
    make a page cost a page.
    """
    conditions: list[ColumnElement[bool]] = []
    if selection.start is not None:
        conditions.append(RecordRow.changed_at >= utc(selection.start))
    if selection.end is not None:
        conditions.append(RecordRow.changed_at < utc(selection.end))
    if selection.source is not None:
        column = RecordRow.source_id + "" if ordered_scan else RecordRow.source_id
        conditions.append(column == selection.source)
    if selection.with_resource:
        conditions.append(or_(RecordRow.resource.is_not(None), RecordRow.last_resource.is_not(None)))
    for literal in selection.literals:
        conditions.append(
            or_(
                RecordRow.resource.contains(literal, autoescape=True),
                RecordRow.last_resource.contains(literal, autoescape=True),
            )
        )
    return conditions


def _change(row: Any) -> Change:
    return Change(row.id, row.source_id, utc(row.changed_at), row.resource, row.last_resource)


def pages(
    store: Store, selection: Selection, after: tuple[datetime, str] | None, batch: int
) -> Generator[list[ChangeRow]]:
    """Successive pages of up to ``batch`` selected records after the key ``after`` in (changed_at,
    id) order, read in one session; the last page is the first shorter than ``batch``. Close the
    iterator (or let it go) to stop early."""
    sqlite = store.engine.dialect.name == "sqlite"
    key = after
    with store.session() as session:
        while True:
            query = select(*_COLUMNS).where(*_conditions(selection, sqlite))
            if key is not None:
                query = query.where(tuple_(RecordRow.changed_at, RecordRow.id) > (utc(key[0]), key[1]))
            ordered = query.order_by(RecordRow.changed_at, RecordRow.id).limit(batch)
            rows = list(session.connection().execute(ordered))  # Core rows: no ORM bookkeeping per row
            yield rows
            if len(rows) < batch:
                return
            key = (utc(rows[-1].changed_at), rows[-1].id)


def count(store: Store, selection: Selection) -> int:
    """How many records the selection holds."""
    with store.session() as session:
        return int(
            session.scalar(select(func.count()).select_from(RecordRow).where(*_conditions(selection))) or 0
        )


def set_fields(
    store: Store, selection: Selection = Selection()
) -> Iterator[tuple[str, str | None, str | None]]:
    """(source id, Resource JSON, a tombstone's last Resource JSON) of every selected record, streamed."""
    with store.session() as session:
        query = select(RecordRow.source_id, RecordRow.resource, RecordRow.last_resource)
        rows = session.execute(query.where(*_conditions(selection)).execution_options(yield_per=2000))
        yield from rows


def get(store: Store, record_id: str) -> Change | None:
    """The record ``record_id`` (live or a tombstone); None when the store has none."""
    with store.session() as session:
        row = session.execute(select(*_COLUMNS).where(RecordRow.id == record_id)).first()
    return None if row is None else _change(row)


def earliest(store: Store) -> datetime | None:
    """The oldest changed_at in the store (None when it holds no record)."""
    with store.session() as session:
        value = session.scalar(select(func.min(RecordRow.changed_at)))
    return None if value is None else utc(value)


def newest(store: Store, sources: Sequence[str] = ()) -> datetime | None:
    """The newest changed_at (an index lookup) of the records of ``sources`` (all when none is
    named); None when there is none. Any write of a record moves it."""
    query = select(func.max(RecordRow.changed_at))
    if sources:
        query = query.where(RecordRow.source_id.in_(list(sources)))
    with store.session() as session:
        value = session.scalar(query)
    return None if value is None else utc(value)


def version(store: Store) -> tuple[int, datetime | None]:
    """(row count, newest change): it changes whenever a record is added, changed, deleted or removed."""
    with store.session() as session:
        total, latest = session.execute(select(func.count(), func.max(RecordRow.changed_at))).one()
    return int(total or 0), None if latest is None else utc(latest)


def recent_tombstones(store: Store, sources: Sequence[str], limit: int) -> list[Change]:
    """The ``limit`` most recent tombstones of the sources (all sources when none is named), newest first."""
    query = select(*_COLUMNS).where(RecordRow.deleted.is_(True))
    if sources:
        query = query.where(RecordRow.source_id.in_(list(sources)))
    with store.session() as session:
        rows = session.execute(query.order_by(RecordRow.changed_at.desc(), RecordRow.id).limit(limit)).all()
    return [_change(row) for row in rows]


def run_tombstones(store: Store, run_id: int) -> list[Change]:
    """The tombstones run ``run_id`` wrote, in id order, each with its last Resource when known."""
    query = select(*_COLUMNS).where(RecordRow.run_id == run_id, RecordRow.deleted.is_(True))
    with store.session() as session:
        rows = session.execute(query.order_by(RecordRow.id)).all()
    return [_change(row) for row in rows]
