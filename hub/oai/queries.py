"""What the provider reads of the store: keyset pages on (changed_at, id) filtered by set, counts, sets
(the SQL is the store's, ``hub.store.changes``; set membership beyond SQL is decided here)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime

from hub.oai.sets import SetFields, SetFilter
from hub.store import Store, changes
from hub.store.changes import Change, ChangeRow, Selection, utc
from normalizers.resource import Resource

_SCAN = 500  # rows read per round trip while a set filter is applied in Python


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


def _selection(window: Window, sets: SetFilter) -> Selection:
    """The store's selection of a window and a set (for type/country/target a necessary condition
    only: membership is then decided in Python, ``SetFilter.contains``)."""
    return Selection(window.start, window.end, sets.source, sets.reads_resource, tuple(sets.json_literals()))


def _item(row: Change | ChangeRow) -> Item:
    return Item(row.id, row.source_id, utc(row.changed_at), row.resource, row.last_resource)


def page(
    store: Store, window: Window, sets: SetFilter, after: tuple[datetime, str] | None, limit: int
) -> list[Item]:
    """Up to ``limit`` records after the key ``after`` in (changed_at, id) order that are in the set."""
    found: list[Item] = []
    if limit <= 0:
        return found
    batch = limit if sets.exact_in_sql else max(limit, _SCAN)
    with closing(changes.pages(store, _selection(window, sets), after, batch)) as batches:
        for rows in batches:
            for row in rows:
                item = _item(row)
                if sets.contains(item.source_id, item.fields if sets.reads_resource else None):
                    found.append(item)
                    if len(found) == limit:
                        return found
    return found


def _fields(text: str | None, last: str | None) -> SetFields | None:
    known = text if text is not None else last
    return None if known is None else SetFields.model_validate_json(known)


def count(store: Store, window: Window, sets: SetFilter) -> int:
    """How many records the list of this window and set holds."""
    selection = _selection(window, sets)
    if sets.exact_in_sql:
        return changes.count(store, selection)
    return sum(
        sets.contains(source_id, _fields(text, last))
        for source_id, text, last in changes.set_fields(store, selection)
    )


def get(store: Store, record_id: str) -> Item | None:
    row = changes.get(store, record_id)
    return None if row is None else _item(row)


def earliest(store: Store) -> datetime | None:
    """The oldest changed_at in the store (None when it holds no record)."""
    return changes.earliest(store)


def newest_change(store: Store) -> datetime | None:
    """The newest changed_at (an index lookup): any write of a record moves it."""
    return changes.newest(store)


def version(store: Store) -> tuple[int, str]:
    """Changes whenever a record is added, changed, deleted or removed: (row count, newest change)."""
    total, newest = changes.version(store)
    return total, "" if newest is None else newest.isoformat()


def resources(store: Store) -> Iterator[tuple[str, SetFields | None]]:
    """(source id, its set fields or None for a tombstone) of every record, for the set list."""
    for source_id, text, last in changes.set_fields(store):
        yield source_id, _fields(text, last)
