"""The CBD index API replayed on 127.0.0.1 for web tests: a query for meetings answers with the given
real meeting documents, any other query with none; every other path (the CBD feeds) is 404."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SELECT = "/api/v2013/index/select"


@contextmanager
def replayed_cbd_index(
    docs: list[dict[str, Any]], page: int | None = None, gate: threading.Event | None = None
) -> Iterator[tuple[str, list[str]]]:
    """Yields the base URL and the paths asked for. ``page``: at most so many documents an answer;
    ``gate``: the pages after the first wait until it is set (it is set on exit, releasing them)."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            parts = urlsplit(self.path)
            if parts.path != SELECT:
                self.send_error(404)
                return
            params = parse_qs(parts.query)
            start = int(params.get("start", ["0"])[0])
            found = docs if "schema_s:meeting" in " ".join(v for vs in params.values() for v in vs) else []
            if gate is not None and found and start > 0:
                gate.wait(timeout=90)
            end = None if page is None else start + page
            body = {"responseHeader": {"status": 0}, "response": {"numFound": len(found), "start": start,
                    "docs": found[start:end]}}  # fmt: skip
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        if gate is not None:
            gate.set()
        server.shutdown()
        server.server_close()
