"""An HTTP server on 127.0.0.1 that counts requests in flight at once (for per-host budget tests).

Every response waits ``delay`` seconds while counted as in flight (counted out just before it is
sent, so a client's next request can never overlap it in the count); ``max_in_flight`` is the most
requests the server was holding at the same moment. Paths not registered answer 404.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


class CountingServer:
    """Serves registered bodies after a delay, measuring concurrency and logging paths."""

    def __init__(self, delay: float = 0.3) -> None:
        self.delay = delay
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.paths: list[str] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def route(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.routes[path] = (body, content_type)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with server._lock:
                    server.paths.append(self.path)
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                try:
                    time.sleep(server.delay)
                finally:
                    # Counted out before the answer is sent: the client may start its next request as
                    # soon as the body is in, before this thread would run again after writing it.
                    with server._lock:
                        server.in_flight -= 1
                body, content_type = server.routes.get(self.path, (b"not found", "text/plain"))
                self.send_response(200 if self.path in server.routes else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler

    def __enter__(self) -> CountingServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
