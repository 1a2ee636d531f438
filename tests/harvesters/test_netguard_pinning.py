"""DNS rebinding: the client connects to the addresses the guard checked in the same step, never to a
second resolution of the name. On 127.0.0.1 only: the name is one the system cannot resolve
(``.invalid``), so a connection that resolved it again could not reach the server at all."""

from __future__ import annotations

import pytest

from harvesters.http import HttpPolicy, fetch_once, make_client
from harvesters.netguard import UnsafeDestination, checked_addresses
from tests.support.http_replay import ReplayServer

NAME = "rebinding.invalid"  # RFC 6761: never resolves


def test_the_connection_goes_to_the_checked_address_not_a_new_resolution() -> None:
    asked: list[tuple[str, int]] = []

    def pin(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["127.0.0.1"]  # what the guard checked (allowed here: the test's own server)

    with ReplayServer() as server:
        server.route("/feed", b"pinned")
        port = int(server.url.rsplit(":", 1)[1])
        policy = HttpPolicy(max_retries=0, pin_addresses=pin)
        with make_client(policy) as client:
            response = fetch_once(client, policy, "GET", f"http://{NAME}:{port}/feed")
        assert response.status == 200 and response.content == b"pinned"
        assert asked == [(NAME, port)]  # the name was resolved once, by the pin
        assert [r.path for r in server.request_log] == ["/feed"]
        assert server.request_log[0].headers.get("host") == f"{NAME}:{port}"  # the name kept for the host


def test_a_name_the_guard_refuses_is_never_connected_to() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]  # a name that now resolves to loopback (the rebinding's second answer)

    def pin(host: str, port: int) -> list[str]:
        return checked_addresses(host, port, resolve)

    with ReplayServer() as server:
        server.route("/feed", b"secret")
        port = int(server.url.rsplit(":", 1)[1])
        policy = HttpPolicy(max_retries=0, pin_addresses=pin)
        with make_client(policy) as client, pytest.raises(UnsafeDestination, match="loopback"):
            fetch_once(client, policy, "GET", f"http://{NAME}:{port}/feed")
        assert server.request_log == []


def test_the_settings_pin_connections_unless_private_networks_are_allowed() -> None:
    from hub.settings import Settings

    assert Settings(allow_private_networks=False).http_policy().pin_addresses is checked_addresses
    assert Settings(allow_private_networks=True).http_policy().pin_addresses is None
