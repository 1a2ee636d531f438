"""The record memos (``record_memos``): the enrichment models' answers kept per record for the next
re-normalising (normalizers/model_memo.py), written with the records by ``Store.apply_batch``. A cache:
a memo that is missing or stale only means the models run again; nothing served reads them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select

from hub.store.statements import MEMOS
from hub.store.store import Store

# a source's memos of the given native ids (``source``, ``ids``)
_READ = select(MEMOS.c.native_id, MEMOS.c.memo).where(
    MEMOS.c.source_id == bindparam("source"), MEMOS.c.native_id.in_(bindparam("ids", expanding=True))
)


def stored_memos(store: Store, source_id: str, native_ids: Sequence[str]) -> dict[str, str]:
    """The stored memo (JSON text) of each of ``native_ids`` that has one."""
    if not native_ids:
        return {}
    with store.connect() as s:
        rows = s.execute(_READ, {"source": source_id, "ids": list(native_ids)})
        return {native_id: memo for native_id, memo in rows}
