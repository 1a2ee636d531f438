"""SSRF guard: address classification and URL checks with an injected resolver (no traffic at all)."""

from __future__ import annotations

import pytest

from harvesters.netguard import UnsafeDestination, check_url, literal_address, refusal


def resolver_for(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    calls: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return table[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


REFUSED_HOSTS = {
    "127.0.0.1": "loopback",
    "127.1": "loopback",
    "2130706433": "loopback",
    "0x7f.0.0.1": "loopback",
    "017700000001": "loopback",
    "[::1]": "loopback",
    "[::ffff:127.0.0.1]": "loopback",
    "[::ffff:7f00:1]": "loopback",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "[fd12::1]": "private",
    "169.254.169.254": "metadata",
    "[fd00:ec2::254]": "metadata",
    "169.254.1.1": "link-local",
    "[fe80::1]": "link-local",
    "0.0.0.0": "unspecified",
    "100.64.0.1": "shared",
    "[2002:7f00:1::]": "loopback",
}


@pytest.mark.parametrize(("host", "why"), sorted(REFUSED_HOSTS.items()))
def test_literal_non_public_hosts_are_refused(host: str, why: str) -> None:
    resolve = resolver_for({})
    with pytest.raises(UnsafeDestination, match=why):
        check_url(f"http://{host}/oai", resolver=resolve)
    assert resolve.calls == [], "a literal address needs no resolution"  # type: ignore[attr-defined]


@pytest.mark.parametrize("address", ["10.1.2.3", "127.0.0.53", "169.254.169.254", "::1", "fe80::2"])
def test_names_resolving_to_non_public_addresses_are_refused(address: str) -> None:
    resolve = resolver_for({"intranet.example": ["93.184.216.34", address]})
    with pytest.raises(UnsafeDestination, match=r"intranet\.example resolves to"):
        check_url("https://intranet.example/feed", resolver=resolve)


def test_public_addresses_pass() -> None:
    resolve = resolver_for({"www.cbd.int": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"]})
    check_url("https://www.cbd.int/rss", resolver=resolve)
    assert refusal(literal_address("8.8.8.8")) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "gopher://h/", "http:///nohost"]
)
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(UnsafeDestination):
        check_url(url, resolver=resolver_for({}))


def test_development_switch_allows_loopback() -> None:
    check_url("http://127.0.0.1:8080/oai", allow_private=True, resolver=resolver_for({}))


def test_redirect_to_a_private_address_is_refused_before_it_is_followed() -> None:
    """A public-looking first hop that redirects to loopback: the redirect hop is checked, never sent."""
    import httpx

    from harvesters.http import HttpPolicy, fetch_once, make_client
    from tests.support.http_replay import ReplayServer

    with ReplayServer() as server:
        server.route("/start", status=302, headers={"Location": server.url + "/secret"})
        server.route("/secret", b"secret")
        seen: list[str] = []

        def guard(url: str) -> None:
            seen.append(url)
            if url.endswith("/secret"):
                check_url(url, resolver=resolver_for({}))

        policy = HttpPolicy(check_destination=guard)
        with make_client(policy) as client, pytest.raises(UnsafeDestination, match="loopback"):
            fetch_once(client, policy, "GET", server.url + "/start")
        assert seen[-1].endswith("/secret")
        assert [r.path for r in server.request_log] == ["/start"]
        assert isinstance(client, httpx.Client)


def test_registration_refuses_what_use_would_refuse_but_not_a_name_that_does_not_resolve_now() -> None:
    from harvesters.netguard import Unresolvable, registration_refusal

    def down(host: str, port: int) -> list[str]:
        raise Unresolvable(f"cannot resolve {host!r}")

    table = resolver_for({"intranet.example": ["10.1.2.3"], "www.cbd.int": ["93.184.216.34"]})
    reason = registration_refusal("https://intranet.example/feed", allow_private=False, resolver=table)
    assert reason is not None and "10.1.2.3, a private address" in reason
    assert registration_refusal("http://127.0.0.1:9/", allow_private=False) is not None
    assert registration_refusal("ftp://www.cbd.int/", allow_private=True) is not None, "scheme, always"
    assert registration_refusal("http://127.0.0.1:9/", allow_private=True) is None
    assert registration_refusal("https://www.cbd.int/rss", allow_private=False, resolver=table) is None
    assert registration_refusal("https://gone.example/rss", allow_private=False, resolver=down) is None
    with pytest.raises(UnsafeDestination, match="cannot resolve"):
        check_url("https://gone.example/rss", resolver=down)
