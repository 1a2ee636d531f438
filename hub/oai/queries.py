"""Read queries of the provider on the records table: keyset pages on (changed_at, id), counts, sets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, tuple_

from hub.oai.sets import SetFields, SetFilter
from hub.store import Store
from hub.store.models import RecordRow
from normalizers.resource import Resource

_SCAN = 500  # rows read per round trip while a set filter is applied in Python
_COLUMNS = (
    RecordRow.id,
    RecordRow.source_id,
    RecordRow.changed_at,
    RecordRow.resource,
    RecordRow.last_resource,
)


@dataclass(frozen=True, slots=True)
class Window:
    """``start <= changed_at < end``; None leaves that side open."""

    start: datetime | None = None
    end: datetime | None = None


@dataclass(slots=True)
class Item:
    """One record as the provider serves it: its stored Resource JSON (``text``, None for a tombstone).

    ``fields`` (what decides its sets) and ``resource`` are read from the JSON when first asked for;
    a tombstone stays in the sets of the Resource it had when deleted (``last``).
    """

    id: str
    source_id: str
    changed_at: datetime
    text: str | None
    last: str | None = None  # a tombstone's Resource JSON as it was when deleted, when known
    _fields: SetFields | None = field(default=None, repr=False, compare=False)

    @property
    def deleted(self) -> bool:
        return self.text is None

    @property
    def fields(self) -> SetFields | None:
        """What decides the record's sets: of its Resource, or of a tombstone's last Resource."""
        known = self.text if self.text is not None else self.last
        if self._fields is None and known is not None:
            self._fields = SetFields.model_validate_json(known)
        return self._fields

    @property
    def resource(self) -> Resource | None:
        return None if self.text is None else Resource.model_validate_json(self.text)


def utc(value: datetime) -> datetime:
    """An aware UTC datetime (SQLite hands back naive UTC values)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bind(value: datetime) -> datetime:
    """A bound parameter compared with changed_at: UTC (SQLite stores the wall time without zone)."""
    return utc(value)


def _conditions(window: Window, sets: SetFilter, ordered_scan: bool = False) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a window and a set (for type/country/target a necessary condition only).

    ``ordered_scan`` (SQLite pages): the source test is written so that SQLite cannot use the
    (source_id, deleted) index for it. With that index SQLite reads the whole source and sorts it
    for every page (quadratic over a list); without it, it walks (changed_at, id) in order and stops
    after a page, so a whole list costs one pass. An index on (source_id, changed_at, id) would
    make a page cost a page.
    """
    conditions: list[ColumnElement[bool]] = []
    if window.start is not None:
        conditions.append(RecordRow.changed_at >= _bind(window.start))
    if window.end is not None:
        conditions.append(RecordRow.changed_at < _bind(window.end))
    if sets.source is not None:
        column = RecordRow.source_id + "" if ordered_scan else RecordRow.source_id
        conditions.append(column == sets.source)
    if sets.reads_resource:  # a live Resource, or a tombstone's last one
        conditions.append(or_(RecordRow.resource.is_not(None), RecordRow.last_resource.is_not(None)))
    for literal in sets.json_literals():  # membership is then decided in Python (SetFilter.contains)
        conditions.append(
            or_(
                RecordRow.resource.contains(literal, autoescape=True),
                RecordRow.last_resource.contains(literal, autoescape=True),
            )
        )
    return conditions


def _item(row: Any) -> Item:
    return Item(row.id, row.source_id, utc(row.changed_at), row.resource, row.last_resource)


def page(
    store: Store, window: Window, sets: SetFilter, after: tuple[datetime, str] | None, limit: int
) -> list[Item]:
    """Up to ``limit`` records after the key ``after`` in (changed_at, id) order that are in the set."""
    found: list[Item] = []
    key = after
    batch = limit if sets.exact_in_sql else max(limit, _SCAN)
    sqlite = store.engine.dialect.name == "sqlite"
    with store.session() as session:
        while len(found) < limit:
            query = select(*_COLUMNS).where(*_conditions(window, sets, sqlite))
            if key is not None:
                query = query.where(tuple_(RecordRow.changed_at, RecordRow.id) > (_bind(key[0]), key[1]))
            ordered = query.order_by(RecordRow.changed_at, RecordRow.id).limit(batch)
            rows = list(session.connection().execute(ordered))  # Core rows: no ORM bookkeeping per row
            for row in rows:
                item = _item(row)
                if sets.contains(item.source_id, item.fields if sets.reads_resource else None):
                    found.append(item)
                    if len(found) == limit:
                        break
            if len(rows) < batch:
                break
            last = rows[-1]
            key = (utc(last.changed_at), last.id)
    return found


def count(store: Store, window: Window, sets: SetFilter) -> int:
    """How many records the list of this window and set holds."""
    with store.session() as session:
        if sets.exact_in_sql:
            query = select(func.count()).select_from(RecordRow).where(*_conditions(window, sets))
            return int(session.scalar(query) or 0)
        rows = select(RecordRow.source_id, RecordRow.resource, RecordRow.last_resource)
        total = 0
        for source_id, text, last in session.execute(
            rows.where(*_conditions(window, sets)).execution_options(yield_per=2000)
        ):
            known = text if text is not None else last
            total += sets.contains(source_id, None if known is None else SetFields.model_validate_json(known))
        return total


def get(store: Store, record_id: str) -> Item | None:
    with store.session() as session:
        row = session.execute(select(*_COLUMNS).where(RecordRow.id == record_id)).first()
    return None if row is None else _item(row)


def earliest(store: Store) -> datetime | None:
    """The oldest changed_at in the store (None when it holds no record)."""
    with store.session() as session:
        value = session.scalar(select(func.min(RecordRow.changed_at)))
    return None if value is None else utc(value)


def newest_change(store: Store) -> datetime | None:
    """The newest changed_at (an index lookup): any write of a record moves it."""
    with store.session() as session:
        value = session.scalar(select(func.max(RecordRow.changed_at)))
    return None if value is None else utc(value)


def version(store: Store) -> tuple[int, str]:
    """Changes whenever a record is added, changed, deleted or removed: (row count, newest change)."""
    with store.session() as session:
        total, newest = session.execute(select(func.count(), func.max(RecordRow.changed_at))).one()
    return int(total or 0), "" if newest is None else utc(newest).isoformat()


def resources(store: Store) -> Iterator[tuple[str, SetFields | None]]:
    """(source id, its set fields or None for a tombstone) of every record, for the set list."""
    with store.session() as session:
        query = select(RecordRow.source_id, RecordRow.resource, RecordRow.last_resource)
        for source_id, text, last in session.execute(query.execution_options(yield_per=2000)):
            known = text if text is not None else last
            yield source_id, None if known is None else SetFields.model_validate_json(known)
