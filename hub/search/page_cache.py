"""Search answers kept per generation of the index, for any engine: a repeated search costs a lookup.

An engine that knows when it changed (``generation``: the embedded index counts the commits it has
seen, from any process) invalidates its entries on the next search after a change. An engine that
does not (a cluster written by other workers) keys entries by a time slice of CLUSTER_SECONDS, so an
answer is at most that old. The cache is bounded by the bytes of its answers (least recently used
go first) and counts its hits and misses.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from hub.search.base import SearchIndex

PAGE_BYTES = 64 * 2**20  # bytes of answers kept (a results page with its facets: about 4-12 KB)
CLUSTER_SECONDS = 2.0  # how long an answer of an engine without generations is reused

Answer = TypeVar("Answer")


def generation_of(index: SearchIndex, clock: Callable[[], float] = time.monotonic) -> Hashable:
    """What changes whenever the index's content may have changed (or the index object is another)."""
    generation = getattr(index, "generation", None)
    if isinstance(generation, int):
        return ("commits", id(index), generation)
    return ("slice", id(index), int(clock() // CLUSTER_SECONDS))


class PageCache(Generic[Answer]):
    """A bounded LRU of answers (``size_of`` gives an answer's bytes), all of one index generation:
    the first lookup of a new generation empties it."""

    def __init__(
        self,
        capacity: int = PAGE_BYTES,
        size_of: Callable[[Answer], int] = len,  # type: ignore[assignment]
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = capacity
        self._size_of = size_of
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Answer, int]] = OrderedDict()
        self._bytes = 0
        self._generation: Hashable = None
        self.hits = self.misses = 0

    def generation(self, index: SearchIndex) -> Hashable:
        """The index's generation now (what ``get`` and ``put`` are given)."""
        return generation_of(index, self._clock)

    def get(self, generation: Hashable, request: Hashable) -> Answer | None:
        """The answer kept for ``request`` in this generation (counted as a hit or a miss)."""
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._bytes = 0
                self._generation = generation
            found = self._entries.get(request)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(request)
            self.hits += 1
            return found[0]

    def put(self, generation: Hashable, request: Hashable, answer: Answer) -> None:
        """Keep ``answer``, unless the index has moved to another generation meanwhile."""
        size = self._size_of(answer)
        with self._lock:
            if generation != self._generation or size > self.capacity:
                return
            previous = self._entries.pop(request, None)
            if previous is not None:
                self._bytes -= previous[1]
            self._entries[request] = (answer, size)
            self._bytes += size
            while self._bytes > self.capacity:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def answer(self, index: SearchIndex, request: Hashable, compute: Callable[[], Answer]) -> Answer:
        """The cached answer to ``request`` for the index as it is now, else ``compute()``'s (kept)."""
        generation = self.generation(index)
        found = self.get(generation, request)
        if found is None:
            found = compute()
            self.put(generation, request, found)
        return found

    def __len__(self) -> int:
        return len(self._entries)
