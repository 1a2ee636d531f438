"""The record memos (``record_memos``): the enrichment models' answers kept per record for the next
re-normalising (normalizers/model_memo.py). A cache: a memo that is missing or stale only means the
models run again; nothing served reads them."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from hub.store.models import RecordMemoRow
from hub.store.store import Store

MEMOS: Any = RecordMemoRow.__table__

# a source's memos of the given native ids (``source``, ``ids``)
_READ = select(MEMOS.c.native_id, MEMOS.c.memo).where(
    MEMOS.c.source_id == bindparam("source"), MEMOS.c.native_id.in_(bindparam("ids", expanding=True))
)


@functools.cache
def _upsert(dialect: str) -> Any:
    statement: Any = postgresql.insert(MEMOS) if dialect == "postgresql" else sqlite.insert(MEMOS)
    return statement.on_conflict_do_update(
        index_elements=["source_id", "native_id"], set_={"memo": statement.excluded.memo}
    )


def stored_memos(store: Store, source_id: str, native_ids: Sequence[str]) -> dict[str, str]:
    """The stored memo (JSON text) of each of ``native_ids`` that has one."""
    if not native_ids:
        return {}
    with store.connect() as s:
        return {
            native_id: memo
            for native_id, memo in s.execute(_READ, {"source": source_id, "ids": list(native_ids)})
        }


def keep_memos(store: Store, source_id: str, memos: Mapping[str, str]) -> None:
    """Store each native id's memo, replacing the one it had; one transaction."""
    if not memos:
        return
    rows = [
        {"source_id": source_id, "native_id": native_id, "memo": memo} for native_id, memo in memos.items()
    ]
    with store.begin() as s:
        s.execute(_upsert(store.engine.dialect.name), rows)
