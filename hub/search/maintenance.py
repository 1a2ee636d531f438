"""Index upkeep from the store (the truth): rebuild, drift check and repair, memory-bounded, any backend."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any

from hub.search.base import SearchIndex
from hub.store import Store, records
from normalizers.resource import Resource

BATCH = 1000


@dataclass(slots=True)
class Drift:
    """How the index differs from the store's live records (each list sorted by id)."""

    missing: list[str] = field(default_factory=list)  # live in the store, absent from the index
    extra: list[str] = field(default_factory=list)  # in the index, not live in the store
    stale: list[str] = field(default_factory=list)  # in both, but the indexed content differs

    @property
    def clean(self) -> bool:
        return not (self.missing or self.extra or self.stale)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "counts": self.counts()}

    def counts(self) -> dict[str, int]:
        return {"missing": len(self.missing), "extra": len(self.extra), "stale": len(self.stale)}


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _resources(store: Store, batch: int) -> Iterator[Resource]:
    for chunk in store.iter_resources(batch=batch):
        yield from chunk


def reindex(store: Store, index: SearchIndex, batch: int = BATCH) -> int:
    """Rebuild the index from the store: ``rebuild`` (zero downtime) when the backend has it,
    else reset and add in batches. Returns how many documents were indexed."""
    rebuild: Callable[[Iterable[Resource]], int] | None = getattr(index, "rebuild", None)
    if rebuild is not None:
        return rebuild(_resources(store, batch))
    index.reset()
    total = 0
    for chunk in store.iter_resources(batch=batch):
        total += index.add(chunk)
    index.refresh()
    return total


def _indexed_hashes(index: SearchIndex, ids: Sequence[str]) -> dict[str, str]:
    """Content hashes of the indexed copies of ``ids`` (absent ids left out)."""
    lookup: Callable[[Sequence[str]], dict[str, str]] | None = getattr(index, "content_hashes", None)
    if lookup is not None:
        return lookup(ids)
    found: dict[str, str] = {}
    for rid in ids:
        resource = index.get(rid)
        if resource is not None:
            found[rid] = resource.content_hash()
    return found


def _store_hashes(store: Store, batch: int) -> Iterator[list[tuple[str, str]]]:
    """(id, content hash) of every live record, in batches; the hash of the stored Resource JSON."""
    for chunk in records.live_texts(store, batch):
        yield [(rid, Resource.model_validate_json(text).content_hash()) for rid, text in chunk]


def check(store: Store, index: SearchIndex, batch: int = BATCH) -> Drift:
    """Compare the index with the store's live records, ``batch`` ids at a time (memory-bounded)."""
    drift = Drift()
    for chunk in _store_hashes(store, batch):
        indexed = _indexed_hashes(index, [rid for rid, _ in chunk])
        for rid, content_hash in chunk:
            if rid not in indexed:
                drift.missing.append(rid)
            elif indexed[rid] != content_hash:
                drift.stale.append(rid)
    for ids in _batches(index.ids(), batch):
        live = records.live_among(store, ids)
        drift.extra.extend(rid for rid in ids if rid not in live)
    drift.missing.sort()
    drift.stale.sort()
    drift.extra.sort()
    return drift


def repair(store: Store, index: SearchIndex, drift: Drift, batch: int = BATCH) -> int:
    """Re-index missing and stale records from the store, delete extra ones; returns the fixes made."""
    fixed = 0
    for ids in _batches([*drift.missing, *drift.stale], batch):
        resources = records.live_resources(store, ids)
        if resources:
            fixed += index.add(resources)
    for ids in _batches(drift.extra, batch):
        fixed += index.delete(ids)
    index.refresh()
    return fixed
