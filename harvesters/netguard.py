"""SSRF guard: a source URL, and every redirect, must resolve to public addresses only."""

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


class UnsafeDestination(HarvestError):
    """The URL points at an address the hub must not connect to (SSRF guard)."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host:port."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnsafeDestination(f"cannot resolve {host!r}: {exc}") from exc
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


def check_url(url: str, *, allow_private: bool = False, resolver: Resolver = system_resolver) -> None:
    """Refuse non-http(s) URLs and hosts resolving to any non-public address, before connecting."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination(f"{url}: only http and https are harvested")
    host = parts.hostname
    if not host:
        raise UnsafeDestination(f"{url}: no host")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = literal_address(host)
    addresses = [str(literal)] if literal is not None else list(resolver(host, port))
    if not addresses:
        raise UnsafeDestination(f"{url}: {host} resolves to no address")
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        reason = refusal(address)
        if reason:
            raise UnsafeDestination(
                f"{url}: {host} resolves to {address}, {reason}; refused "
                "(set GKSS_ALLOW_PRIVATE_NETWORKS=1 for development)"
            )
