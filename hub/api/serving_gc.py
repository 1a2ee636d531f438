"""The garbage collector of a process that only serves the app (``gkss serve``).

Measured on a served 100,000-document hub at 32 connections (docs/search.md): once the app and the hub
are open, about 160,000 objects (modules, the app, the index) live as long as the process, and a full
collection walking them took 170 ms. They are frozen out of the collector (``gc.freeze``). What is left
(~20,000 objects: caches, connections) still got a full collection every ~0.2 s under load, each 6-30 ms
(a pause of every request in flight) and none of them found garbage: full collections now wait for
FULL_AFTER collections of the middle generation instead of 10. The young generations are collected
as before (their pauses are well under a millisecond).
"""

from __future__ import annotations

import gc

FULL_AFTER = 1000  # collections of generation 1 before a full one (Python's default: 10)


def settle_for_serving() -> None:
    """Collect once, freeze what exists (it lives as long as the process) and space full collections."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_AFTER)
