"""Query results kept per generation of an index: total, facets and the first ordered hits."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Found:
    """What a query found: the reader it ran on, the total, facets (None when not counted) and the
    first hits in order, as the engine gives them (``head``)."""

    reader: Any
    total: int
    facets: dict[str, dict[str, int]] | None
    head: list[Any]

    def serves(self, want: int, facets: bool) -> bool:
        """Can this result answer a page ending at ``want`` (with facets when ``facets``)?"""
        return (self.facets is not None or not facets) and (
            want <= len(self.head) or self.total <= len(self.head)
        )


class ResultCache:
    """A bounded LRU of Found results; its keys carry the index generation, so a write makes
    older entries unreachable (and ``clear`` drops them)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Found] = OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable, want: int, facets: bool) -> Found | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found.serves(want, facets):
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
            return None

    def put(self, key: Hashable, found: Found) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = found
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
