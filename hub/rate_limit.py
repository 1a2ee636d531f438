"""Per-client rate limit and request size cap of the public API (ASGI middleware, in-process GCRA buckets)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

EXEMPT = ("/healthz", "/metrics")  # liveness probes and metrics scrapers are never limited
_PRUNE_EVERY = 1024


class ClientBuckets:
    """One GCRA bucket per client: ``rate`` requests a second with bursts of ``burst``.

    ``admit`` answers 0 when the request may go (and takes its slot) or the seconds until one is
    free (taking nothing: refused requests cost a client nothing more). Buckets of clients gone
    quiet are dropped, so memory follows the clients active in the last ``burst / rate`` seconds.
    """

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.tolerance = max(burst - 1, 0) * self.interval
        self.clock = clock
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()
        self._seen = 0

    def admit(self, client: str) -> float:
        with self._lock:
            now = self.clock()
            tat = max(self._tat.get(client, now), now)
            if tat - self.tolerance > now:
                return tat - self.tolerance - now
            self._tat[client] = tat + self.interval
            self._seen += 1
            if self._seen % _PRUNE_EVERY == 0:
                self._tat = {c: t for c, t in self._tat.items() if t > now}
            return 0.0


class PublicApiGuard:
    """Refuses, before the app runs: a request body over ``max_body`` bytes (413) and a client over
    its rate (429 with Retry-After). Clients are told apart by their address."""

    def __init__(self, app: ASGIApp, rate: float, burst: int, max_body: int) -> None:
        self.app = app
        self.buckets = ClientBuckets(rate, burst) if rate > 0 else None
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in EXEMPT:
            await self.app(scope, receive, send)
            return
        if self.buckets is not None:
            client = scope.get("client")
            wait = self.buckets.admit(str(client[0]) if client else "unknown")
            if wait > 0:
                seconds = max(1, math.ceil(wait))
                await _refuse(
                    send, 429, f"too many requests; retry in {seconds} s", {"retry-after": str(seconds)}
                )
                return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _refuse(send, 413, f"request body over {self.max_body} bytes")
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message.get("type") == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _capped(receive, self.max_body), tracking)
        except BodyTooLarge as exc:
            if started:
                raise
            await _refuse(send, 413, str(exc))


class BodyTooLarge(Exception):
    """A body without Content-Length grew past the cap while it was read."""


def _capped(receive: Receive, limit: int) -> Receive:
    read = 0

    async def capped() -> Message:
        nonlocal read
        message = await receive()
        if message.get("type") == "http.request":
            read += len(message.get("body", b""))
            if read > limit:
                raise BodyTooLarge(f"request body over {limit} bytes")
        return message

    return capped


async def _refuse(send: Send, status: int, detail: str, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
