"""Next-page read-ahead for list harvesting: the page a resumption token asks for, made while the harvester
reads the page before it."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

Stamp = object  # what must not have changed for a page made ahead to be served (the newest change)
T = TypeVar("T")

MAX_PAGES = 8  # pages kept ready (one per harvester that is mid-list, about)
MAX_AGE = 60.0  # seconds a page made ahead may wait for its request


class PageReadAhead(Generic[T]):
    """Keeps a few pages made ahead, each keyed by the request that will ask for it.

    A harvester asks for page N+1 only after reading page N, so the server would otherwise idle
    while the harvester parses. ``make_ahead`` renders the next page in a worker thread as soon
    as page N is answered; ``take`` hands it over when its request comes, but only if the store's
    ``stamp`` is still the one the page was made at (anything written since makes it stale) and
    it is younger than ``MAX_AGE``. A page not taken is dropped; nothing is ever served twice.
    """

    def __init__(self, stamp: Callable[[], Stamp]) -> None:
        self._stamp = stamp
        self._pages: OrderedDict[Hashable, tuple[float, Stamp, Future[T]]] = OrderedDict()
        self._lock = threading.Lock()
        self._workers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="oai-read-ahead")

    def make_ahead(self, key: Hashable, render: Callable[[], T]) -> None:
        stamp = self._stamp()
        future = self._workers.submit(render)
        with self._lock:
            self._pages[key] = (time.monotonic(), stamp, future)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)

    def take(self, key: Hashable) -> T | None:
        """The page made ahead for this request, if still valid; None: make it now."""
        with self._lock:
            entry = self._pages.pop(key, None)
        if entry is None:
            return None
        made_at, stamp, future = entry
        if time.monotonic() - made_at > MAX_AGE:
            return None
        try:
            page = future.result()
        except Exception:  # made again by the caller, which reports any error itself
            return None
        return page if self._stamp() == stamp else None

    def close(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)
