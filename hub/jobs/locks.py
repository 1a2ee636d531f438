"""Per-source locks with a lease: one run of a source at a time across every worker."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from redis import Redis

_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class SourceLock(Protocol):
    """A lease on one source: taken, extended while the run beats, released at its end."""

    def acquire(self) -> bool: ...

    def extend(self) -> bool:
        """Renew the lease; False when it was lost (lapsed and taken by another)."""
        ...

    def release(self) -> None: ...

    def remaining(self) -> float:
        """Seconds until the current holder's lease lapses (0 when free)."""
        ...


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))


class RedisSourceLock:
    """``SET key token NX PX lease``; extended and released only by the token that holds it."""

    def __init__(self, client: Redis, source_id: str, token: str, lease: float) -> None:
        self.client = client
        self.key = f"gkss:lock:source:{source_id}"
        self.token = token
        self.lease = lease
        self._extend = client.register_script(_EXTEND)
        self._release = client.register_script(_RELEASE)

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=_ms(self.lease)))

    def extend(self) -> bool:
        return bool(self._extend(keys=[self.key], args=[self.token, _ms(self.lease)]))

    def release(self) -> None:
        self._release(keys=[self.key], args=[self.token])

    def remaining(self) -> float:
        ttl = int(self.client.pttl(self.key))
        return max(ttl, 0) / 1000


class LocalSourceLock:
    """The same lease inside one process (the in-process scheduler)."""

    _held: ClassVar[dict[str, tuple[str, float]]] = {}
    _guard: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, source_id: str, token: str, lease: float) -> None:
        self.source_id = source_id
        self.token = token
        self.lease = lease

    def _take(self, only_mine: bool) -> bool:
        now = time.monotonic()
        with self._guard:
            holder = self._held.get(self.source_id)
            free = holder is None or holder[1] <= now
            mine = holder is not None and holder[0] == self.token and holder[1] > now
            if (only_mine and not mine) or (not only_mine and not free):
                return False
            self._held[self.source_id] = (self.token, now + self.lease)
            return True

    def acquire(self) -> bool:
        return self._take(only_mine=False)

    def extend(self) -> bool:
        return self._take(only_mine=True)

    def release(self) -> None:
        with self._guard:
            holder = self._held.get(self.source_id)
            if holder is not None and holder[0] == self.token:
                del self._held[self.source_id]

    def remaining(self) -> float:
        with self._guard:
            holder = self._held.get(self.source_id)
        return 0.0 if holder is None else max(0.0, holder[1] - time.monotonic())
