"""Every place in the code that can open a connection is found by reading the code (AST), and must be
one of the declared guarded openers (``harvesters.netguard.GUARDED_OPENERS``) or the operator's own
services (``SERVICE_CONNECTIONS``): a new ``httpx.Client``, socket, urllib, http.client, scrapy
crawler ... anywhere else fails this test until it goes through the guard and is declared."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from harvesters.netguard import GUARDED_OPENERS, SERVICE_CONNECTIONS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("harvesters", "normalizers", "registry", "federation", "hub")

# Calls that open (or make something that opens) a network connection, by their imported name.
OPENING_CALLS = frozenset(
    {
        *(f"httpx.{name}" for name in ("Client", "AsyncClient", "HTTPTransport", "AsyncHTTPTransport")),
        *(f"httpx.{verb}" for verb in ("get", "post", "put", "patch", "delete", "head", "options")),
        "httpx.request",
        "httpx.stream",
        "httpcore.ConnectionPool",
        "httpcore.HTTPConnection",
        "asyncio.open_connection",
        "socket.socket",
        "socket.create_connection",
        "urllib.request.urlopen",
        "urllib.request.build_opener",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "scrapy.crawler.CrawlerProcess",
        "scrapy.crawler.CrawlerRunner",
        "opensearchpy.OpenSearch",
        "elasticsearch.Elasticsearch",
        "redis.Redis",
        "redis.Redis.from_url",
        "redis.from_url",
        "sqlalchemy.create_engine",
        "celery.Celery",
        "smtplib.SMTP",
        "ftplib.FTP",
    }
)
# Whole libraries whose every call is treated as opening a connection (none is used today).
OPENING_LIBRARIES = ("requests", "aiohttp", "urllib3", "pycurl", "websockets")
# Attribute calls that open a connection whatever the object (an event loop, a transport).
OPENING_METHODS = frozenset({"create_connection", "open_connection", "sock_connect"})
# A guarded opener names the guard it applies in its own body.
GUARD_NAMES = frozenset({"check_destination", "guard", "allow_private", "pin_addresses", "pin"})


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


class _Scan(ast.NodeVisitor):
    def __init__(self, module: str) -> None:
        self.module = module
        self.aliases: dict[str, str] = {}
        self.scope: list[str] = []
        self.sites: dict[str, list[str]] = {}
        self.bodies: dict[str, ast.AST] = {}

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                self.aliases[alias.name.split(".")[0]] = alias.name.split(".")[0]

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _scoped(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        if not isinstance(node, ast.ClassDef):
            self.bodies[".".join([self.module, *self.scope])] = node
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scoped

    def visit_Call(self, node: ast.Call) -> None:
        name = _dotted(node.func)
        if name is not None:
            head, _, rest = name.partition(".")
            resolved = self.aliases.get(head, head) + (f".{rest}" if rest else "")
            opening = (
                resolved in OPENING_CALLS
                or resolved.split(".")[0] in OPENING_LIBRARIES
                or (isinstance(node.func, ast.Attribute) and node.func.attr in OPENING_METHODS)
            )
            if opening:
                where = ".".join([self.module, *self.scope])
                self.sites.setdefault(where, []).append(f"{resolved} (line {node.lineno})")
        self.generic_visit(node)


def scan() -> tuple[dict[str, list[str]], dict[str, ast.AST]]:
    """Every function (module.qualname) holding a connection-opening call, and every function's AST."""
    sites: dict[str, list[str]] = {}
    bodies: dict[str, ast.AST] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            visitor = _Scan(module)
            visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
            for where, calls in visitor.sites.items():
                sites.setdefault(where, []).extend(calls)
            bodies.update(visitor.bodies)
    return sites, bodies


def test_every_connection_the_code_opens_is_a_declared_opener() -> None:
    sites, _ = scan()
    declared = set(GUARDED_OPENERS) | set(SERVICE_CONNECTIONS)
    undeclared = {where: calls for where, calls in sites.items() if where not in declared}
    assert not undeclared, (
        "connections opened outside the outbound guard (route them through harvesters.netguard and "
        f"declare them in GUARDED_OPENERS): {undeclared}"
    )
    gone = declared - set(sites)
    assert not gone, f"declared openers that no longer open anything (remove them): {sorted(gone)}"


def test_every_guarded_opener_applies_the_guard_in_its_body() -> None:
    _, bodies = scan()
    for where in GUARDED_OPENERS:
        names = {n.id for n in ast.walk(bodies[where]) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(bodies[where]) if isinstance(n, ast.Attribute)}
        names |= {n.arg for n in ast.walk(bodies[where]) if isinstance(n, ast.arg)}
        assert names & GUARD_NAMES, f"{where} opens a connection without naming the guard"


# Where each guarded opener is shown, against a real server on 127.0.0.1, to send nothing refused.
PROVEN_BY = {
    "harvesters.http.make_client": "tests.harvesters.test_netguard."
    "test_redirect_to_a_private_address_is_refused_before_it_is_followed",
    "harvesters.scrapy_child.run": "tests.harvesters.test_scrapy_harvest."
    "test_ssrf_guard_refuses_the_source_and_every_request_of_the_child",
    "harvesters.http.pinned_transport": "tests.harvesters.test_netguard_pinning."
    "test_a_name_the_guard_refuses_is_never_connected_to",
    "harvesters.http.async_pinned_transport": "tests.federation.test_outbound_pinning."
    "test_the_probe_transport_connects_through_the_guard",
    "hub.webhook.post": "tests.federation.test_outbound_guard."
    "test_a_loopback_notify_url_is_refused_at_registration_and_at_use",
    "hub.websub.verify.verify_intent": "tests.federation.test_outbound_guard."
    "test_a_loopback_websub_callback_is_refused_at_registration_and_at_use",
    "federation.peer_client.get": "tests.federation.test_outbound_guard."
    "test_a_loopback_peer_is_refused_at_registration_and_at_use",
    "federation.probe.probe_peer": "tests.federation.test_outbound_guard."
    "test_a_loopback_peer_is_refused_at_registration_and_at_use",
}


@pytest.mark.parametrize("opener", sorted(GUARDED_OPENERS))
def test_every_guarded_opener_has_a_test_against_a_loopback_server(opener: str) -> None:
    assert opener in PROVEN_BY, f"{opener}: no test shows the guard refusing a loopback destination"
    module, _, name = PROVEN_BY[opener].rpartition(".")
    assert callable(getattr(importlib.import_module(module), name, None)), PROVEN_BY[opener]


def test_the_scan_finds_a_bypass() -> None:
    """The scanner itself: an unguarded client in a new function is found, under any import alias."""
    source = "import httpx as h\nfrom socket import create_connection\n\ndef leak(u):\n    h.get(u)\n"
    source += "\nclass K:\n    async def m(self, loop):\n        await loop.create_connection(None)\n"
    visitor = _Scan("hub.leaky")
    visitor.visit(ast.parse(source))
    assert set(visitor.sites) == {"hub.leaky.leak", "hub.leaky.K.m"}
