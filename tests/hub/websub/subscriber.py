"""A real WebSub subscriber on 127.0.0.1 for tests: answers verification GETs and records pushes."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    """What the subscriber saw: verification queries and pushed bodies with their headers."""

    verifications: list[dict[str, str]] = field(default_factory=list)
    pushes: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    push_times: list[float] = field(default_factory=list)


class SubscriberServer:
    """Echoes ``hub.challenge`` (``echo=True``) or answers 404 (refuses); answers pushes ``push_status``;
    records every request."""

    def __init__(self, *, echo: bool = True, push_status: int = 204) -> None:
        self.echo = echo
        self.push_status = push_status
        self.received = Received()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                with outer.lock:
                    outer.received.verifications.append(query)
                body = query.get("hub.challenge", "").encode() if outer.echo else b"no"
                self.send_response(200 if outer.echo else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.received.pushes.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    outer.received.push_times.append(time.monotonic())
                self.send_response(outer.push_status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/callback"

    def __enter__(self) -> SubscriberServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
