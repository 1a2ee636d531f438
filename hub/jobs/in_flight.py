"""Per-host concurrency: at most N requests in flight to one host, in one process or across every worker."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

# KEYS[1]: the host's leases (sorted set: token -> when taken). ARGV: token, limit, lease seconds.
# Leases older than the lease time are dropped, so a worker that died mid-request frees its slot.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - lease)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(lease * 1000) + 1000)
return 1
"""


class InFlight(Protocol):
    """``enter`` blocks until the host has a free slot and takes it; ``leave`` gives it back."""

    def enter(self, host: str) -> None: ...

    def leave(self, host: str) -> None: ...


class LocalInFlight:
    """Slots shared by the threads of one process."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("GKSS_HOST_CONCURRENCY must be at least 1")
        self.limit = limit
        self._busy: dict[str, int] = defaultdict(int)
        self._free = threading.Condition()

    def enter(self, host: str) -> None:
        with self._free:
            self._free.wait_for(lambda: self._busy[host] < self.limit)
            self._busy[host] += 1

    def leave(self, host: str) -> None:
        with self._free:
            self._busy[host] = max(0, self._busy[host] - 1)
            self._free.notify_all()


class RedisInFlight:
    """Slots shared by every worker through Redis leases; when Redis fails, slots of this process."""

    def __init__(
        self,
        client: Redis,
        limit: int,
        lease_seconds: float,
        *,
        poll: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.lease_seconds = lease_seconds
        self.poll = poll
        self.sleep = sleep
        self._script = client.register_script(_TAKE)
        self._client = client
        self._fallback = LocalInFlight(limit)
        self._held = threading.local()

    def _tokens(self, host: str) -> list[str | None]:
        held: dict[str, list[str | None]] = self._held.__dict__.setdefault("tokens", {})
        return held.setdefault(host, [])

    def enter(self, host: str) -> None:
        from redis import RedisError

        token = uuid.uuid4().hex
        while True:
            try:
                taken = self._script(
                    keys=[f"gkss:inflight:{host}"], args=[token, self.limit, self.lease_seconds]
                )
            except RedisError as exc:
                logger.warning("in-flight slots in Redis unavailable (%s); limiting %s in-process", exc, host)
                self._fallback.enter(host)
                self._tokens(host).append(None)
                return
            if int(taken):
                self._tokens(host).append(token)
                return
            self.sleep(self.poll)

    def leave(self, host: str) -> None:
        from redis import RedisError

        tokens = self._tokens(host)
        if not tokens:
            return
        token = tokens.pop()
        if token is None:
            self._fallback.leave(host)
            return
        try:
            self._client.zrem(f"gkss:inflight:{host}", token)
        except RedisError as exc:  # the lease lapses by itself
            logger.warning("could not give back an in-flight slot of %s (%s)", host, exc)
