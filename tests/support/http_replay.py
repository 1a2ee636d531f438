"""A small static-response HTTP server on 127.0.0.1 for tests: routes, request log, ETags, slow bodies.

Usage::

    with ReplayServer() as server:
        server.route("/feed.xml", body, headers={"Content-Type": "application/rss+xml"}, etag='"v1"')
        server.route("/old", status=301, headers={"Location": "/feed.xml"})
        server.route("/flaky", status=503, times=1)    # the next request only; then the standing route
        server.route("/flaky", body)
        ... server.url + "/feed.xml" ...
        server.request_log[-1].headers["if-none-match"]

Routes match on the path, or on path plus query when registered with a query (order-insensitive).
Unknown paths answer 404. Every request is logged, including those answered 304 or 404.
"""

from __future__ import annotations

import email.utils
import socket
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    """One request as the server saw it; header names are lower case."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))


@dataclass(slots=True)
class Route:
    """A canned response; ``delay`` sleeps before the status line, ``chunk_delay`` between body chunks."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_size: int = 1024
    chunked: bool = False
    times: int | None = None


def _key(path: str) -> str:
    parts = urlsplit(path)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return f"{parts.path or '/'}?{query}" if query else parts.path or "/"


class ReplayServer:
    """A threaded HTTP/1.1 server answering registered routes from memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._standing: dict[str, Route] = {}
        self._queued: dict[str, list[Route]] = {}
        self._closing = threading.Event()
        self.request_log: list[LoggedRequest] = []
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="replay-server",
            daemon=True,
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` without a trailing slash."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        delay: float = 0.0,
        chunk_delay: float = 0.0,
        chunk_size: int = 1024,
        chunked: bool = False,
        times: int | None = None,
    ) -> None:
        """Serve ``body`` at ``path``.

        Without ``times`` this is the path's standing response (replacing any earlier one); with
        ``times=n`` it answers the next ``n`` requests first. ``etag``/``last_modified`` add those
        headers and answer 304 to a matching ``If-None-Match`` (or, without one, to an
        ``If-Modified-Since`` not older than ``last_modified``). ``chunked`` sends the body with
        ``Transfer-Encoding: chunked`` instead of a Content-Length.
        """
        data = body.encode("utf-8") if isinstance(body, str) else body
        canned = Route(
            data,
            status,
            dict(headers or {}),
            etag,
            last_modified,
            delay,
            chunk_delay,
            max(1, chunk_size),
            chunked,
            times,
        )
        key = _key(path)
        with self._lock:
            if times is None:
                self._standing[key] = canned
            else:
                self._queued.setdefault(key, []).append(canned)

    def requests_to(self, path: str) -> list[LoggedRequest]:
        """The logged requests whose path (ignoring the query) is ``path``."""
        with self._lock:
            return [r for r in self.request_log if r.path == path]

    def _take(self, target: str) -> Route | None:
        keys = [_key(target), urlsplit(target).path or "/"]
        with self._lock:
            for key in keys:
                queue = self._queued.get(key)
                if queue:
                    canned = queue[0]
                    canned.times = (canned.times or 1) - 1
                    if canned.times <= 0:
                        queue.pop(0)
                    return canned
                if key in self._standing:
                    return self._standing[key]
        return None

    def _log(self, request: LoggedRequest) -> None:
        with self._lock:
            self.request_log.append(request)

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


class _QuietServer(ThreadingHTTPServer):
    """Daemon handler threads; clients hanging up mid-response (timeouts, size caps) are not errors."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _not_modified(canned: Route, headers: Mapping[str, str]) -> bool:
    if canned.etag is not None and "if-none-match" in headers:
        tags = [t.strip() for t in headers["if-none-match"].split(",")]
        bare = canned.etag.removeprefix("W/")
        return "*" in tags or any(t.removeprefix("W/") == bare for t in tags)
    since = headers.get("if-modified-since")
    if canned.last_modified is None or since is None:
        return False
    try:
        return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(
            canned.last_modified
        )
    except (TypeError, ValueError):
        return False


def _make_handler(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def setup(self) -> None:
            super().setup()
            # Small header and body writes must not wait on Nagle + delayed ACK (40 ms each).
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_POST(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, send_body: bool) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request_body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            parts = urlsplit(self.path)
            server._log(LoggedRequest(self.command, parts.path, parts.query, headers, request_body))
            canned = server._take(self.path)
            if canned is None:
                canned = Route(b"no route for " + self.path.encode("utf-8", "replace"), 404)
            if canned.delay and server._closing.wait(canned.delay):
                return
            status = 304 if _not_modified(canned, headers) else canned.status
            body = b"" if status == 304 or not send_body else canned.body
            try:
                self._send(canned, status, body)
            except (ConnectionError, TimeoutError):
                self.close_connection = True

        def _send(self, canned: Route, status: int, body: bytes) -> None:
            self.send_response(status)
            for name, value in canned.headers.items():
                self.send_header(name, value)
            if canned.etag is not None:
                self.send_header("ETag", canned.etag)
            if canned.last_modified is not None:
                self.send_header("Last-Modified", canned.last_modified)
            if canned.chunked and status != 304:
                self.send_header("Transfer-Encoding", "chunked")
            elif status != 304 and not any(k.lower() == "content-length" for k in canned.headers):
                self.send_header("Content-Length", str(len(canned.body)))
            self.end_headers()
            if not canned.chunked and not canned.chunk_delay:
                self.wfile.write(body)
                return
            for start in range(0, len(body), canned.chunk_size):
                if start and canned.chunk_delay and server._closing.wait(canned.chunk_delay):
                    return
                piece = body[start : start + canned.chunk_size]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if canned.chunked else piece)
                self.wfile.flush()
            if canned.chunked and status != 304:
                self.wfile.write(b"0\r\n\r\n")

    return Handler
