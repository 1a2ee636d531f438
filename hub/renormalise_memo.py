"""Re-normalising with the record memos: each stored record's memo goes with its raw payload to the
helper that normalises it, and what the models answered comes back with its Resource.

``WithMemo`` is a stored raw record with its memo (JSON text, None when it has none); the helpers
normalise it with ``normalise_remembering``, which answers the enrichment's models from that memo
(normalizers/model_memo.py: an entry is used only when its key, a digest of the model's version and
the very text it reads, matches; anything else is computed) and hands back a ``Remembered``, the
same Resource (the same fields, the same JSON) carrying the memo its normalisation made. The
re-normalising process keeps a memo that differs from the stored one (``changed_memo``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import PrivateAttr

from harvesters.records import RawRecord
from normalizers.dispatch import Place, normalize_placed
from normalizers.model_memo import decode, encode, remembering
from normalizers.resource import Resource


@dataclass(frozen=True, slots=True)
class WithMemo(RawRecord):
    """A stored raw record with its stored memo (JSON text; None: none kept yet)."""

    memo: str | None = None


class Remembered(Resource):
    """A normalised Resource with the memo its normalisation made (private: never serialised)."""

    _memo: dict[str, Any] = PrivateAttr(default_factory=dict)


def normalise_remembering(raw: RawRecord, protocol: str, place: Place) -> Resource:
    """``normalize_placed`` answering the models from the record's memo; a ``Remembered`` back."""
    with remembering(decode(raw.memo) if isinstance(raw, WithMemo) else {}) as memo:
        resource = normalize_placed(raw, protocol, place)
    remembered = Remembered.model_construct(resource.model_fields_set, **resource.__dict__)
    remembered._memo = memo.made
    return remembered


def changed_memo(raw: RawRecord, resource: Resource) -> str | None:
    """The memo to keep for ``raw`` when the one its normalisation made differs from the stored one
    (None: keep what is stored)."""
    if not isinstance(resource, Remembered):
        return None
    stored = raw.memo if isinstance(raw, WithMemo) else None
    if decode(stored) == resource._memo:
        return None
    return encode(resource._memo)
