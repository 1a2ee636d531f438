"""What the enrichment's two models answered, remembered by a digest of what they read: re-normalising
a record whose text has not changed does not run them again.

The language identification (``language_detect.detect_language``) and the GBF target model
(``target_model.inferred_targets``) are pure functions of their input text and of their model: the
same text gives the same answer until the model, its data or its code changes. A **memo** maps a key
made from the model's kind, its ``VERSIONS`` entry and the exact text it read to the answer (JSON),
for the one record it was made with. ``recalled`` answers from the active memo when its key is
there and its value reads back as an answer of that model; otherwise (no memo, a changed text, a
bumped version, an unreadable value) it computes, so a memo that is missing, stale or corrupt never
changes an answer. Outside ``remembering`` nothing is looked up or kept (a harvest computes as before).

``VERSIONS`` is bumped when a model, its data files or the code that reads them changes:
``tests/normalizers/test_model_memo.py`` keeps the SHA-256 of each of those files beside the version
they were recorded for and fails when a file changes and the version does not.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import PrivateAttr

from harvesters.records import RawRecord
from normalizers.resource import Resource

LANGUAGE = "language"  # detect_language(text) -> str | None
TARGETS = "targets"  # inferred_targets(text) -> dict[str, float]
# Bump one when its model, the model's data or the code that computes it changes (see the test).
VERSIONS: dict[str, str] = {LANGUAGE: "1", TARGETS: "1"}

T = TypeVar("T")


def _language(value: Any) -> bool:
    return value is None or (isinstance(value, str) and 0 < len(value) <= 16)


def _targets(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and type(v) is float and math.isfinite(v) for k, v in value.items()
    )


# What an answer of each model looks like; a remembered value that does not is computed again.
_VALID: dict[str, Callable[[Any], bool]] = {LANGUAGE: _language, TARGETS: _targets}


def key(kind: str, text: str) -> str:
    """The memo key of a model's answer for ``text``: its kind, version and the text, digested."""
    data = f"{kind}\0{VERSIONS[kind]}\0{text}".encode("utf-8", "surrogatepass")
    return f"{kind}:{hashlib.blake2b(data, digest_size=16).hexdigest()}"


@dataclass(slots=True)
class Memo:
    """One record's memo: ``known`` (what was remembered before) and ``made`` (every answer this
    normalisation used, remembered or computed: what to keep for the next time)."""

    known: Mapping[str, Any] = field(default_factory=dict)
    made: dict[str, Any] = field(default_factory=dict)


_active: ContextVar[Memo | None] = ContextVar("model_memo", default=None)


@contextmanager
def remembering(known: Mapping[str, Any]) -> Iterator[Memo]:
    """Answer the models from ``known`` while inside; the Memo's ``made`` collects every answer used."""
    memo = Memo(known)
    token = _active.set(memo)
    try:
        yield memo
    finally:
        _active.reset(token)


def recalled(kind: str, text: str, compute: Callable[[str], T]) -> T:
    """``compute(text)``, or its remembered answer when a memo is active and holds a valid one."""
    memo = _active.get()
    if memo is None:
        return compute(text)
    entry = key(kind, text)
    if entry in memo.known:
        value = memo.known[entry]
        if _VALID[kind](value):
            memo.made[entry] = value
            # checked by _VALID: an answer of this model (a dict copied: the caller may keep it)
            return dict(value) if isinstance(value, dict) else value  # type: ignore[return-value]
    answer = compute(text)
    memo.made[entry] = answer
    return answer


def decode(text: str | None) -> dict[str, Any]:
    """A stored memo's entries; an empty memo when there is none or it does not read as one."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def encode(entries: Mapping[str, Any]) -> str:
    """A memo as stored: JSON, keys sorted (the same entries give the same text)."""
    return json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class WithMemo(RawRecord):
    """A stored raw record with its stored memo (JSON text; None: none kept yet)."""

    memo: str | None = None


class Remembered(Resource):
    """A normalised Resource (the same fields, the same JSON) with ``memo``: the memo its
    normalisation made, as stored (``encode``), when it differs from the one it was given (None:
    nothing new to keep). Private: never serialised."""

    _memo: str | None = PrivateAttr(default=None)

    @property
    def memo(self) -> str | None:
        private = self.__pydantic_private__  # read directly: not through BaseModel.__getattr__
        return private.get("_memo") if private else None

    @classmethod
    def of(cls, resource: Resource, memo: Memo) -> Remembered:
        """``resource`` with the memo ``memo`` made, when it is new."""
        remembered = cls.model_construct(resource.model_fields_set, **resource.__dict__)
        remembered._memo = encode(memo.made) if memo.made != memo.known else None
        return remembered
