"""Repeated searches answered before any request parsing: GET /api/search keyed by its query string.

An ASGI middleware in front of the routes: a GET of /api/search whose exact query string was answered
in the index's current generation gets the same response (status, headers with the ETag, body) again
without routing, parameter validation, a worker thread or the search. What the endpoint answers is kept
only when it marks the answer as the search's own (``mark_cacheable``: not federated, not an error).
A request with If-None-Match whose copy is current gets 304 with the ETag and Cache-Control (as the
endpoint answers it, see hub/conditional.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from hub.conditional import _etag_matches
from hub.search.base import SearchIndex
from hub.search.page_cache import PAGE_BYTES, PageCache

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Response = tuple[list[tuple[bytes, bytes]], bytes]  # the headers and the body of a 200

PATH = "/api/search"
_CACHEABLE = "gkss.answer_cacheable"  # set in the request's state by the endpoint


def mark_cacheable(state: Any) -> None:
    """Say, from the endpoint (``request.state``), that its answer may be kept for the same query string."""
    setattr(state, _CACHEABLE, True)


def _response_bytes(response: Response) -> int:
    headers, body = response
    return len(body) + sum(len(name) + len(value) for name, value in headers)


def answer_cache(capacity: int = PAGE_BYTES) -> PageCache[Response]:
    """An empty cache of /api/search responses, bounded by their bytes."""
    return PageCache(capacity, size_of=_response_bytes)


class SearchAnswerCache:
    """The middleware; ``cache`` holds the responses (its hits and misses count the searches)."""

    def __init__(self, app: ASGIApp, index: Callable[[], SearchIndex], cache: PageCache[Response]) -> None:
        self.app = app
        self.index = index
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") != PATH or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        generation = self.cache.generation(self.index())
        key = scope.get("query_string", b"")
        found = self.cache.get(generation, key)
        if found is not None:
            headers, body = found
            asked = next((v for k, v in scope.get("headers") or () if k == b"if-none-match"), None)
            if asked is not None:
                kept = [(k, v) for k, v in headers if k in (b"etag", b"cache-control")]
                etag = next((v for k, v in kept if k == b"etag"), b"").decode("latin-1")
                if _etag_matches(asked.decode("latin-1"), etag):
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    await send({"type": "http.response.body", "body": b""})
                    return
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        state = scope.setdefault("state", {})
        sent: dict[str, Any] = {}

        async def keeping(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"], sent["headers"] = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                body = bytes(message.get("body", b""))
                if sent.get("status") == 200 and "body" not in sent and state.get(_CACHEABLE):
                    self.cache.put(generation, key, (sent["headers"], body))
                sent["body"] = True
            elif message["type"] == "http.response.body":
                sent["body"] = True  # streamed: not kept
            await send(message)

        await self.app(scope, receive, keeping)
