"""Search answers kept per generation of the index, for any engine: a repeated search costs a lookup.

An engine that knows when it changed (``generation``: the embedded index counts the commits it has
seen, from any process) invalidates its entries on the next search after a change. An engine that
does not (a cluster written by other workers) keys entries by a time slice of CLUSTER_SECONDS, so an
answer is at most that old.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from hub.search.base import SearchIndex

PAGES = 2048  # answers kept
CLUSTER_SECONDS = 2.0  # how long an answer of an engine without generations is reused


def generation_of(index: SearchIndex, clock: Callable[[], float] = time.monotonic) -> Hashable:
    """What changes whenever the index's content may have changed."""
    generation = getattr(index, "generation", None)
    if isinstance(generation, int):
        return ("commits", generation)
    return ("slice", int(clock() // CLUSTER_SECONDS))


class PageCache:
    """A bounded LRU of encoded answers, keyed by the index generation and the request."""

    def __init__(self, size: int = PAGES, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._generation: Hashable = None

    def answer(self, index: SearchIndex, request: Hashable, compute: Callable[[], bytes]) -> bytes:
        """The cached answer to ``request`` for the index as it is now, else ``compute()``'s (kept)."""
        generation = generation_of(index, self._clock)
        with self._lock:
            if generation != self._generation:
                self._entries.clear()
                self._generation = generation
            found = self._entries.get(request)
            if found is not None:
                self._entries.move_to_end(request)
                return found
        body = compute()
        with self._lock:
            if generation == self._generation and self.size > 0:
                self._entries[request] = body
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return body
