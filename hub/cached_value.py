"""A value computed at most once per interval and shared by every caller meanwhile (cheap /healthz)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class CachedValue(Generic[T]):
    """``compute()``'s result, recomputed when older than ``seconds`` (by the monotonic clock)."""

    def __init__(
        self, compute: Callable[[], T], seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._compute = compute
        self._seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._value: T | None = None
        self._at = -float("inf")

    def get(self) -> T:
        with self._lock:
            now = self._clock()
            if self._value is None or now - self._at >= self._seconds:
                self._value, self._at = self._compute(), now
            return self._value
