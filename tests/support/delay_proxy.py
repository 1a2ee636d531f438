"""A reverse proxy on 127.0.0.1 that delays every answer and counts requests (a slow or flaky peer hub)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx


class DelayProxy:
    """Forwards GETs to ``target`` after ``delay`` s; 502 when the target is down; ``hits(path)`` counts."""

    def __init__(self, target: str, delay: float = 0.0) -> None:
        self.target = target.rstrip("/")
        self.delay = delay
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self.client = httpx.Client(timeout=30)  # one client: building one costs ~30 ms (TLS context)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for p in self.paths if p.split("?", 1)[0] == path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with proxy._lock:
                    proxy.paths.append(self.path)
                if proxy.delay:
                    time.sleep(proxy.delay)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                try:
                    answer = proxy.client.get(proxy.target + self.path, headers=headers)
                    status, body = answer.status_code, answer.content
                    kind = answer.headers.get("content-type", "application/octet-stream")
                except httpx.TransportError as exc:
                    status, body, kind = 502, f"upstream down: {exc}".encode(), "text/plain"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up waiting (its deadline): that is the point of this proxy

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> DelayProxy:
        self.thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


def main() -> None:
    """Run one proxy in a process of its own: ``python -m tests.support.delay_proxy TARGET DELAY_S``;
    prints its URL, then serves until stdin closes."""
    import sys

    with DelayProxy(sys.argv[1], float(sys.argv[2])) as proxy:
        print(proxy.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
