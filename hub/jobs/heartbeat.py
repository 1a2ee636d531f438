"""A job's heartbeat: the run row and the source lock's lease kept fresh while the run is alive."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from hub.jobs.locks import SourceLock
from hub.store import Store
from hub.store.models import RunRow

logger = logging.getLogger(__name__)


def heartbeat_interval(stale_seconds: float) -> float:
    """Beat often enough that a live run is never taken for lost: several beats per stale period."""
    return max(0.2, min(10.0, stale_seconds / 4))


class ClaimingStore(Store):
    """A Store whose new runs are marked with the worker and the job request at once."""

    def __init__(self, url: str, worker: str, request_id: str) -> None:
        super().__init__(url)
        self.worker = worker
        self.request_id = request_id
        self.run_id: int | None = None

    def start_run(self, source_id: str, full: bool, window_from: datetime | None) -> RunRow:
        row = super().start_run(source_id, full, window_from)
        self.claim_run(row.id, worker=self.worker, request_id=self.request_id)
        self.run_id = row.id
        return row


class Heartbeat:
    """Beats (run heartbeat + lock lease) from a thread every interval, and from progress calls."""

    def __init__(self, store: ClaimingStore, lock: SourceLock, interval: float) -> None:
        self.store = store
        self.lock = lock
        self.interval = interval
        self.lost = False
        self._last = 0.0
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gkss-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._last = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval * 2 + 5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval / 2):
            self.beat_if_due()

    def beat_if_due(self) -> None:
        with self._mutex:
            if time.monotonic() - self._last < self.interval:
                return
            self._last = time.monotonic()
            try:
                if not self.lock.extend():
                    self.lost = True
                if self.store.run_id is not None:
                    self.store.heartbeat_run(self.store.run_id)
            except Exception:  # a missed beat is survivable; the lease and staleness allow several
                logger.warning("heartbeat failed for run %s", self.store.run_id, exc_info=True)
