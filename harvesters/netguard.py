"""The outbound guard (SSRF): every URL the hub connects to, and every redirect, must be http(s) and
resolve to public addresses only (unless GKSS_ALLOW_PRIVATE_NETWORKS).

Every place in the code that opens a connection is declared in ``GUARDED_OPENERS`` (or, for the
operator's own services, ``SERVICE_CONNECTIONS``); tests/harvesters/test_outbound_openers.py finds
them all by reading the code and fails on one that is not declared.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from harvesters.errors import HarvestError

Resolver = Callable[[str, int], Iterable[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_METADATA = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("169.254.170.2"),  # AWS ECS task metadata
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
    ipaddress.ip_address("fd00:ec2::254"),  # AWS IPv6
}


GUARDED_OPENERS: dict[str, str] = {
    "harvesters.http.make_client": "request hook: the guard on every request and every redirect hop; "
    "connections pinned to the checked addresses (PinnedBackend) unless private networks are allowed",
    "harvesters.http.pinned_transport": "connections only to the addresses ``pin_addresses`` (the guard's "
    "checked_addresses) gave for the name",
    "harvesters.http.async_pinned_transport": "connections only to the addresses ``pin`` (the guard) gave",
    "harvesters.scrapy_child.run": "downloader middleware harvesters.scrapy_guard on every request",
    "hub.webhook.post": "the guard before the POST, connection pinned to the checked addresses; no "
    "redirects; the answer's body is not read",
    "hub.websub.verify.verify_intent": "the guard before the GET, connection pinned to the checked "
    "addresses; no redirects; echo capped",
    "federation.peer_client.get": "the guard before connecting, to the addresses it checked; no redirects; "
    "answer capped",
    "federation.probe.probe_peer": "request hook: the guard on every request, connections pinned to the "
    "addresses it checked (AsyncPinnedBackend); no redirects; capped",
}
"""Every function that opens a connection to a destination a user or a peer named, and how the guard
applies there (the one declaration the opener scan compares the code against)."""

SERVICE_CONNECTIONS: dict[str, str] = {
    "hub.cluster_connection.detect_engine": "the search cluster named by GKSS_SEARCH_URL (its GET /)",
    "hub.search.elastic.ElasticsearchIndex._connect": "the search cluster named by GKSS_SEARCH_URL",
    "hub.search.opensearch.OpenSearchIndex._connect": "the search cluster named by GKSS_SEARCH_URL",
    "hub.store.store.Store.__init__": "the database named by GKSS_DATABASE_URL",
    "hub.jobs.tasks.redis_client": "the broker named by GKSS_BROKER_URL",
    "hub.jobs.celery_app.make_celery": "the broker named by GKSS_BROKER_URL",
}
"""Connections to the operator's own services (set in GKSS_* settings, private addresses expected)."""


class UnsafeDestination(HarvestError):
    """The URL points at an address the hub must not connect to (SSRF guard)."""


class Unresolvable(UnsafeDestination):
    """The host name does not resolve (now): refused when connecting, not a reason to refuse a
    registration (DNS may come back)."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host:port."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Unresolvable(f"cannot resolve {host!r}: {exc}") from exc
    return [str(info[4][0]) for info in infos]


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any form a resolver accepts (``2130706433``, ``0x7f.1``)."""
    value = host.strip("[]")
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        pass
    if value and all(part for part in value.split(".")):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(value))
        except OSError:
            return None
    return None


def refusal(address: IPAddress) -> str | None:
    """Why the hub refuses to connect to this address, or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            reason = refusal(mapped)
            return f"{reason} (embedded in {address})" if reason else None
        if address.teredo is not None:
            return "a Teredo tunnel address"
    if address in _METADATA:
        return "a cloud metadata address"
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("shared address space", address in ipaddress.ip_network("100.64.0.0/10")),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
    )
    for name, hit in checks:
        if hit:
            return f"a {name} address"
    return None


def checked_addresses(host: str, port: int, resolver: Resolver = system_resolver) -> list[str]:
    """The addresses of ``host`` the hub may connect to: resolved once and every one checked (a host
    with any non-public address is refused). The HTTP client connects to these very addresses
    (``HttpPolicy.pin_addresses``), so a name that resolves again to another address between the
    check and the connection (DNS rebinding) cannot move the connection."""
    literal = literal_address(host)
    addresses = [str(literal)] if literal is not None else list(resolver(host, port))
    if not addresses:
        raise Unresolvable(f"{host} resolves to no address")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = refusal(address)
        if reason:
            raise UnsafeDestination(
                f"{host} resolves to {address}, {reason}; refused "
                "(set GKSS_ALLOW_PRIVATE_NETWORKS=1 for development)"
            )
    return addresses


OutboundGuard = Callable[[str], "list[str] | None"]
"""The outbound guard as one callable: it refuses a URL (``UnsafeDestination``) or gives the checked
addresses its connection must go to (None: connect by name, as when private networks are allowed)."""


def guarded_addresses(
    url: str, *, allow_private: bool = False, resolver: Resolver = system_resolver
) -> list[str] | None:
    """Refuse non-http(s) URLs and hosts resolving to any non-public address; the addresses checked
    (connect to these, never to a second resolution of the name), or None when ``allow_private``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination(f"{url}: only http(s) URLs are allowed")
    host = parts.hostname
    if not host:
        raise UnsafeDestination(f"{url}: no host")
    if allow_private:
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        return checked_addresses(host, port, resolver)
    except Unresolvable as exc:
        raise Unresolvable(f"{url}: {exc}") from None
    except UnsafeDestination as exc:
        raise UnsafeDestination(f"{url}: {exc}") from None


def check_url(url: str, *, allow_private: bool = False, resolver: Resolver = system_resolver) -> None:
    """Refuse non-http(s) URLs and hosts resolving to any non-public address, before connecting."""
    guarded_addresses(url, allow_private=allow_private, resolver=resolver)


def outbound_guard(allow_private: bool) -> OutboundGuard:
    """The guard as one callable: scheme and host always; addresses unless ``allow_private``."""

    def guard(url: str) -> list[str] | None:
        return guarded_addresses(url, allow_private=allow_private)

    return guard


def host_pin(guard: OutboundGuard) -> Callable[[str, int], list[str] | None]:
    """The guard asked for a connection to ``host:port`` (what a connection backend sees)."""

    def pin(host: str, port: int) -> list[str] | None:
        shown = f"[{host}]" if ":" in host else host  # an IPv6 literal
        return guard(f"http://{shown}:{port}/")

    return pin


def registration_refusal(
    url: str, *, allow_private: bool, resolver: Resolver = system_resolver
) -> str | None:
    """Why a URL is refused at registration (the guard would refuse it when used), or None.

    A name that does not resolve now is accepted: it is checked again at every use."""
    try:
        check_url(url, allow_private=allow_private, resolver=resolver)
    except Unresolvable:
        return None
    except UnsafeDestination as exc:
        return str(exc)
    return None
