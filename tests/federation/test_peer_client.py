"""The lean peer GET against real sockets on 127.0.0.1 sending well-formed and broken HTTP answers."""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest

from federation import peer_client
from federation.peer_client import PeerHttpError
from harvesters.netguard import outbound_guard

TLS = ssl.create_default_context()


class RawServer:
    """Accepts connections on 127.0.0.1, keeps the request it read, answers with fixed bytes, closes."""

    def __init__(self, answer: bytes, close: bool = True) -> None:
        self.answer, self.close = answer, close
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                self.requests.append(data)
                conn.sendall(self.answer)


@pytest.fixture
def serve() -> Iterator[list[RawServer]]:
    servers: list[RawServer] = []
    yield servers
    for server in servers:
        server.sock.close()


def answer(status: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers), "", ""]
    return "\r\n".join(lines).encode() + body


def run_get(url: str, **kwargs: int) -> peer_client.PeerAnswer:
    guard = outbound_guard(allow_private=True)  # the raw servers are on 127.0.0.1
    return asyncio.run(peer_client.get(url, {"X-Gkss-Test": "yes"}, TLS, guard=guard, **kwargs))


def test_reads_a_content_length_answer_and_sends_the_request_as_built(serve: list[RawServer]) -> None:
    body = json.dumps({"total": 2, "results": [{"id": "a"}, {"id": "b"}]}).encode()
    server = RawServer(answer("200 OK", [("Content-Length", str(len(body)))], body))
    serve.append(server)
    got = run_get(server.url + "/api/search?q=forest&size=5")
    assert got.status == 200 and json.loads(got.body)["total"] == 2
    request = server.requests[0].decode()
    assert request.startswith("GET /api/search?q=forest&size=5 HTTP/1.1\r\n")
    assert "x-gkss-test: yes" in request.lower() and "accept-encoding: identity" in request.lower()


def test_reads_a_chunked_answer(serve: list[RawServer]) -> None:
    chunks = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    server = RawServer(answer("200 OK", [("Transfer-Encoding", "chunked")], chunks))
    serve.append(server)
    assert run_get(server.url + "/").body == b"hello world"


def test_an_error_status_is_returned_not_raised(serve: list[RawServer]) -> None:
    server = RawServer(answer("503 Service Unavailable", [("Content-Length", "4")], b"busy"))
    serve.append(server)
    got = run_get(server.url + "/api/search")
    assert (got.status, got.body) == (503, b"busy")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"this is not http\r\n\r\n", "malformed HTTP answer"),
        (b"", "malformed HTTP answer"),  # closed without a word
        (answer("200 OK", [("Content-Length", "100")], b"short"), "malformed HTTP answer"),
        (answer("200 OK", [("Content-Encoding", "gzip"), ("Content-Length", "3")], b"abc"), "Encoding"),
        (answer("200 OK", [("Content-Length", "5000")], b"x" * 5000), "larger than 1000 bytes"),
    ],
    ids=["garbage", "silent-close", "truncated", "gzip-unasked", "oversized"],
)
def test_broken_answers_raise_a_clear_error(serve: list[RawServer], raw: bytes, message: str) -> None:
    server = RawServer(raw)
    serve.append(server)
    with pytest.raises(PeerHttpError, match=message):
        run_get(server.url + "/api/search", max_bytes=1000)


def test_a_dead_port_is_a_connect_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    with pytest.raises(PeerHttpError, match="cannot connect"):
        run_get(f"http://127.0.0.1:{port}/api/search")


def test_only_http_urls() -> None:
    with pytest.raises(PeerHttpError, match="not an http"):
        run_get("file:///etc/passwd")
