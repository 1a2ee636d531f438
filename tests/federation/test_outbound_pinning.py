"""DNS rebinding closed for every opener beside the harvesters' client: a run notification or WebSub
delivery (``hub.webhook.post``), a WebSub verification (``verify_intent``), a peer search
(``peer_client.get``) and a peer probe's client (``async_pinned_transport``) connect to the addresses
the guard checked, never to a second resolution of the name.

On 127.0.0.1 only: the name is one the system cannot resolve (``.invalid``, RFC 6761), so a
connection that resolved it again could not reach the test's server at all; and a guard that refuses
the name's (rebound) address leaves the server without a single request."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

import httpx
import pytest

from federation import peer_client
from harvesters.http import HttpPolicy, async_pinned_transport
from harvesters.netguard import UnsafeDestination, checked_addresses, host_pin, outbound_guard
from hub.webhook import post
from hub.websub.verify import Intent, verify_intent
from tests.support.http_replay import ReplayServer

NAME = "rebinding.invalid"


def _port(server: ReplayServer) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _loopback_pin(asked: list[tuple[str, int]]) -> HttpPolicy:
    def pin(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["127.0.0.1"]  # what the guard checked (the test's own server)

    return HttpPolicy(max_retries=0, pin_addresses=pin)


def _refusing_pin() -> HttpPolicy:
    """The guard itself, over a resolver whose (second) answer is loopback: refused."""
    return HttpPolicy(
        max_retries=0, pin_addresses=lambda h, p: checked_addresses(h, p, lambda *_: ["127.0.0.1"])
    )


def test_a_webhook_posts_to_the_checked_address_and_keeps_the_name() -> None:
    asked: list[tuple[str, int]] = []
    with ReplayServer() as server:
        server.route("/hook", b"", status=204)
        url = f"http://{NAME}:{_port(server)}/hook"
        delivered, status = post(
            url, b'{"run": 1}', {"Content-Type": "application/json"}, _loopback_pin(asked), 5
        )
        assert (delivered, status) == (True, "HTTP 204")
        assert asked == [(NAME, _port(server))]
        [request] = server.request_log
        assert request.path == "/hook" and request.headers.get("host") == f"{NAME}:{_port(server)}"


def test_a_webhook_to_a_rebound_name_sends_nothing() -> None:
    with ReplayServer() as server:
        server.route("/hook", b"", status=204)
        delivered, status = post(f"http://{NAME}:{_port(server)}/hook", b"{}", {}, _refusing_pin(), 5)
        assert not delivered and status.startswith("refused: ") and "loopback" in status
        assert server.request_log == []


def test_a_websub_verification_reaches_the_checked_address_only() -> None:
    asked: list[tuple[str, int]] = []
    with ReplayServer() as server:
        server.route("/cb", b"not the challenge")
        callback = f"http://{NAME}:{_port(server)}/cb"
        intent = Intent(
            mode="subscribe", callback=callback, topic="http://hub.example/feeds/atom", lease_seconds=60
        )
        assert verify_intent(intent, _loopback_pin(asked)) is False  # answered, but no echo
        assert asked == [(NAME, _port(server))]
        [request] = server.request_log
        assert request.params["hub.mode"] == "subscribe" and request.params["hub.challenge"]
        with pytest.raises(UnsafeDestination, match="loopback"):
            verify_intent(intent, _refusing_pin())
        assert len(server.request_log) == 1  # the refused verification sent nothing


def test_a_peer_search_connects_to_the_addresses_the_guard_gave() -> None:
    asked: list[str] = []

    def guard(url: str) -> list[str]:
        asked.append(url)
        return ["127.0.0.1"]

    with ReplayServer() as server:
        server.route("/api/search", b'{"results": []}', headers={"Content-Type": "application/json"})
        url = f"http://{NAME}:{_port(server)}/api/search?q=forest"
        answer = asyncio.run(peer_client.get(url, {}, ssl.create_default_context(), guard=guard))
        assert answer.status == 200 and answer.body == b'{"results": []}'
        assert asked == [url]
        assert server.request_log[0].headers.get("host") == f"{NAME}:{_port(server)}"


def test_a_peer_search_to_a_rebound_name_sends_nothing() -> None:
    def guard(url: str) -> list[str] | None:  # the hub's guard, its resolver answering loopback now
        from harvesters.netguard import guarded_addresses

        return guarded_addresses(url, resolver=lambda *_: ["127.0.0.1"])

    with ReplayServer() as server:
        server.route("/api/search", b"{}")
        url = f"http://{NAME}:{_port(server)}/api/search"
        with pytest.raises(peer_client.PeerHttpError, match=r"refused: .*loopback"):
            asyncio.run(peer_client.get(url, {}, ssl.create_default_context(), guard=guard))
        assert server.request_log == []


def test_the_probe_transport_connects_through_the_guard() -> None:
    asked: list[str] = []

    def guard(url: str) -> list[str]:
        asked.append(url)
        return ["127.0.0.1"]

    with ReplayServer() as server:
        server.route(
            "/.well-known/gkss-node", b'{"id": "peer"}', headers={"Content-Type": "application/json"}
        )
        response = asyncio.run(
            fetch_pinned(host_pin(guard), f"http://{NAME}:{_port(server)}/.well-known/gkss-node")
        )
        assert response.status_code == 200 and response.json() == {"id": "peer"}
        assert asked == [f"http://{NAME}:{_port(server)}/"]  # host and port, as the backend sees them
        refused = host_pin(outbound_guard(allow_private=False))  # the hub's guard: loopback refused
        with pytest.raises(UnsafeDestination, match="loopback"):
            asyncio.run(fetch_pinned(refused, f"{server.url}/.well-known/gkss-node"))
        assert len(server.request_log) == 1  # only the first request reached the server


async def fetch_pinned(pin: Callable[[str, int], list[str] | None], url: str) -> httpx.Response:
    transport = async_pinned_transport(pin, ssl.create_default_context())
    async with httpx.AsyncClient(transport=transport, follow_redirects=False) as client:
        return await client.get(url)


def test_the_settings_guard_gives_the_addresses_it_checked() -> None:
    from hub.settings import Settings

    guard = Settings(allow_private_networks=False).outbound_guard()
    assert guard("https://93.184.216.34/api") == ["93.184.216.34"]  # a public literal: no lookup
    assert host_pin(guard)("2606:2800:220:1:248:1893:25c8:1946", 443) == [
        "2606:2800:220:1:248:1893:25c8:1946"
    ]
    with pytest.raises(UnsafeDestination, match="loopback"):
        guard("http://127.0.0.1:8080/")
    assert Settings(allow_private_networks=True).outbound_guard()("http://127.0.0.1:8080/") is None
