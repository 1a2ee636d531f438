"""Normalising with the record memos (normalizers/model_memo.py): a harvest keeps what the
enrichment's models answered for each record, and re-normalising answers them from it.

``WithMemo`` (normalizers/model_memo.py) is a stored raw record with its stored memo (JSON text,
None when it has none; it crosses to a helper process with its record, normalizers/chunks.py); a
harvest's records come without one. ``normalise_remembering`` (in the run's process or a helper)
answers the models from that memo (an entry is used only when its key, a digest of the model's
version and the very text it reads, matches; anything else is computed) and hands back a
``Remembered``: the same Resource, carrying the memo to keep when it differs from the stored one; the
store's batch upsert keeps it (``Store.apply_batch``).
"""

from __future__ import annotations

from harvesters.records import RawRecord
from normalizers.dispatch import Place, normalize_placed
from normalizers.model_memo import Remembered, WithMemo, decode, remembering
from normalizers.resource import Resource


def with_memo(raw: RawRecord, memo: str | None) -> WithMemo:
    """``raw`` with its stored memo."""
    return WithMemo(
        raw.source_id, raw.native_id, raw.content_type, raw.payload, raw.datestamp, raw.deleted, memo=memo
    )


def normalise_remembering(raw: RawRecord, protocol: str, place: Place) -> Resource:
    """``normalize_placed`` answering the models from the record's memo; a ``Remembered`` back."""
    with remembering(decode(raw.memo) if isinstance(raw, WithMemo) else {}) as memo:
        resource = normalize_placed(raw, protocol, place)
    return Remembered.of(resource, memo)
