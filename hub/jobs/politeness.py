"""Per-host politeness shared by every worker: a GCRA token bucket in Redis (atomic Lua), or in-process,
with an optional cap on requests in flight (hub.jobs.in_flight)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from harvesters.http import HttpPolicy
from hub.jobs.in_flight import InFlight

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

# KEYS[1]: the host's theoretical arrival time (TAT). ARGV: interval, tolerance, penalty (< 0: reserve).
# Redis's own clock is used so workers on different machines agree.
_BUCKET = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local penalty = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1])) or 0
if tat < now then tat = now end
local wait = 0
if penalty < 0 then
  wait = math.max(0, tat - tolerance - now)
  tat = tat + interval
else
  tat = math.max(tat, now + penalty + tolerance)
end
redis.call('SET', KEYS[1], string.format('%.6f', tat), 'PX', math.ceil((tat - now) * 1000) + 60000)
return string.format('%.6f', wait)
"""


class HostLimiter(Protocol):
    """What the harvesters' HTTP hooks call: ``acquire`` before each request, ``penalise`` on Retry-After.

    A host gets ``rate`` requests a second with bursts of ``burst``: ``acquire`` reserves the next
    slot and sleeps until it; ``penalise`` (a 429/503 Retry-After) moves the host's next slot at
    least that far ahead for everyone sharing the bucket.
    """

    def reserve(self, host: str) -> float:
        """Take the host's next slot; the seconds to wait until it."""
        ...

    def acquire(self, host: str) -> None:
        """Block until the host may be sent a request."""
        ...

    def penalise(self, host: str, seconds: float) -> None:
        """No request to the host for ``seconds`` from now, by anyone sharing the bucket."""
        ...

    def release(self, host: str) -> None:
        """The request ``acquire`` allowed is over (its in-flight slot is free again)."""
        ...


class _Slots:
    def __init__(
        self, rate: float, burst: int, sleep: Callable[[float], None], in_flight: InFlight | None = None
    ) -> None:
        if rate <= 0:
            raise ValueError("GKSS_HOST_RATE must be positive")
        self.interval = 1.0 / rate
        self.tolerance = max(burst - 1, 0) * self.interval
        self.sleep = sleep
        self.in_flight = in_flight

    def acquire(self, host: str) -> None:
        if self.in_flight is not None:
            self.in_flight.enter(host)  # a slot first, then the pace
        wait = self.reserve(host)
        if wait > 0:
            self.sleep(wait)

    def release(self, host: str) -> None:
        if self.in_flight is not None:
            self.in_flight.leave(host)

    def reserve(self, host: str) -> float:
        return self._update(host, -1.0)

    def penalise(self, host: str, seconds: float) -> None:
        self._update(host, max(seconds, 0.0))

    def _update(self, host: str, penalty: float) -> float:
        """Reserve the next slot (``penalty`` < 0; returns the wait) or push the host back ``penalty`` s."""
        raise NotImplementedError


class LocalBucket(_Slots):
    """The bucket for one process (no broker): same arithmetic, a lock and a monotonic clock."""

    def __init__(
        self,
        rate: float,
        burst: int,
        sleep: Callable[[float], None] = time.sleep,
        in_flight: InFlight | None = None,
    ) -> None:
        super().__init__(rate, burst, sleep, in_flight)
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    def _update(self, host: str, penalty: float) -> float:
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(host, 0.0), now)
            wait = 0.0
            if penalty < 0:
                wait = max(0.0, tat - self.tolerance - now)
                tat += self.interval
            else:
                tat = max(tat, now + penalty + self.tolerance)
            self._tat[host] = tat
            return wait


class RedisBucket(_Slots):
    """The bucket shared through Redis; when Redis fails it falls back to an in-process bucket."""

    def __init__(
        self,
        client: Redis,
        rate: float,
        burst: int,
        sleep: Callable[[float], None] = time.sleep,
        in_flight: InFlight | None = None,
    ) -> None:
        super().__init__(rate, burst, sleep, in_flight)
        self.client = client
        self._script = client.register_script(_BUCKET)
        self._fallback = LocalBucket(rate, burst, sleep)

    def _update(self, host: str, penalty: float) -> float:
        from redis import RedisError

        try:
            reply = self._script(keys=[f"gkss:polite:{host}"], args=[self.interval, self.tolerance, penalty])
        except RedisError as exc:
            logger.warning("politeness bucket in Redis unavailable (%s); pacing %s in-process", exc, host)
            if penalty < 0:
                return self._fallback.reserve(host)
            self._fallback.penalise(host, penalty)
            return 0.0
        return float(reply.decode() if isinstance(reply, bytes) else reply)


def polite_policy(policy: HttpPolicy, limiter: HostLimiter) -> HttpPolicy:
    """The policy with the limiter wired into the harvesters' request hooks."""
    return replace(
        policy, before_request=limiter.acquire, after_request=limiter.release, on_retry_after=limiter.penalise
    )
