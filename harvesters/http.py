"""The one HTTP policy every harvester fetches through: timeouts, size caps, safe decompression, retries."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from harvesters.base import DEFAULT_USER_AGENT
from harvesters.errors import ProtocolError, ResponseTooLarge, TransientError

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 503})
TRANSIENT_STATUSES = frozenset({408, 425, 429})
DECODED_ENCODINGS = frozenset({"identity", "", "gzip", "x-gzip", "deflate"})  # Accept-Encoding: gzip, deflate


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    """Limits applied to every request a harvester makes.

    ``check_destination(url)`` (the SSRF guard, see ``harvesters.netguard``) runs before every
    request and every redirect hop and raises to refuse it.
    ``before_request(host)`` is called before each request (it may block: politeness shared by
    workers) and ``after_request(host)`` once it is over, whatever happened;
    ``on_retry_after(host, seconds)`` when a host answers 429/503, with the capped wait.
    ``pin_addresses(host, port)`` (``harvesters.netguard.checked_addresses``), when set, gives the
    addresses every connection goes to: resolved and checked in the same step as the connection.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0
    max_bytes: int = 50 * 1024 * 1024
    max_redirects: int = 5
    max_retries: int = 3
    max_retry_after: float = 120.0
    default_retry_after: float = 5.0
    user_agent: str = DEFAULT_USER_AGENT
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    before_request: Callable[[str], None] | None = field(default=None, compare=False)
    after_request: Callable[[str], None] | None = field(default=None, compare=False)
    on_retry_after: Callable[[str, float], None] | None = field(default=None, compare=False)
    check_destination: Callable[[str], None] | None = field(default=None, compare=False)
    pin_addresses: Callable[[str, int], list[str]] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class FetchedResponse:
    """A fully read, decompressed and size-checked response."""

    status: int
    url: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process, as httpx builds it by default (certifi's roots, SSL_CERT_FILE and
    SSL_CERT_DIR read when it is first made): building one costs ~30 ms of CPU, which a client per
    harvest paid for every feed of a few entries (the feed benchmark: most of the hub's CPU)."""
    return httpx.create_ssl_context()


class PinnedBackend(httpcore.SyncBackend):
    """Opens each connection to an address ``pin(host, port)`` gives (the guard resolves the name and
    checks every address), never resolving the name again: no DNS-rebinding window between the
    check and the connection. TLS still verifies the certificate against the host name."""

    def __init__(self, pin: Callable[[str, int], list[str]]) -> None:
        self.pin = pin

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self.pin(host, port):  # the guard: resolved and checked here, once
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # pin() gives at least one address or raises
        raise failure


class AsyncPinnedBackend(httpcore.AnyIOBackend):
    """``PinnedBackend`` for asyncio clients: ``pin(host, port)`` runs in a worker thread (it may
    resolve the name) and gives the addresses to connect to, or None to connect by name."""

    def __init__(self, pin: Callable[[str, int], list[str] | None]) -> None:
        self.pin = pin

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await asyncio.to_thread(self.pin, host, port)
        failure: Exception | None = None
        for address in addresses if addresses is not None else [host]:
            try:
                return await super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # pin() gives at least one address or raises
        raise failure


def async_pinned_transport(
    pin: Callable[[str, int], list[str] | None], tls: ssl.SSLContext
) -> httpx.AsyncHTTPTransport:
    """An asyncio transport whose connections go to the addresses ``pin`` checked."""
    transport = httpx.AsyncHTTPTransport(verify=tls)
    transport._pool = httpcore.AsyncConnectionPool(  # as httpx builds it (its default limits), pinned
        ssl_context=tls,
        max_connections=_LIMITS.max_connections,
        max_keepalive_connections=_LIMITS.max_keepalive_connections,
        keepalive_expiry=_LIMITS.keepalive_expiry,
        network_backend=AsyncPinnedBackend(pin),
    )
    return transport


_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)  # httpx's


def pinned_transport(policy: HttpPolicy) -> httpx.HTTPTransport | None:
    """A transport whose connections go to the addresses ``policy.pin_addresses`` checked (None when
    the policy pins nothing: httpx's own transport, which resolves the name itself)."""
    if policy.pin_addresses is None:
        return None
    transport = httpx.HTTPTransport(verify=tls_context())
    transport._pool = httpcore.ConnectionPool(  # the pool httpx builds (its default limits), pinned
        ssl_context=tls_context(),
        max_connections=_LIMITS.max_connections,
        max_keepalive_connections=_LIMITS.max_keepalive_connections,
        keepalive_expiry=_LIMITS.keepalive_expiry,
        network_backend=PinnedBackend(policy.pin_addresses),
    )
    return transport


def make_client(policy: HttpPolicy) -> httpx.Client:
    """An httpx client that follows redirects within the policy and never decodes bodies itself."""
    timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
    hooks: dict[str, list[Callable[[httpx.Request], None]]] = {}
    if policy.check_destination is not None:
        guard = policy.check_destination
        hooks["request"] = [lambda request: guard(str(request.url))]
    transport = pinned_transport(policy)  # httpx's own, unless connections are pinned
    return httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        max_redirects=policy.max_redirects,
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
        event_hooks=hooks,  # type: ignore[arg-type]
        verify=tls_context(),
        transport=transport,
    )


class _CappedDecoder:
    """Decompresses gzip/deflate bodies chunk by chunk, never producing more than the cap."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.encoding = encoding
        self._first = True
        self._obj: zlib._Decompress | None = None
        if encoding in ("gzip", "x-gzip"):
            self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _check(self, produced: int) -> None:
        self.size += produced
        if self.size > self.cap:
            raise ResponseTooLarge(f"decompressed body exceeds the {self.cap}-byte cap ({self.encoding})")

    def feed(self, data: bytes) -> bytes:
        if self.encoding == "deflate" and self._obj is None:
            # RFC says zlib-wrapped; some servers send raw deflate.
            wbits = zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS
            self._obj = zlib.decompressobj(wbits)
        if self._obj is None:
            self._check(len(data))
            return data
        out = bytearray()
        pending = data
        while True:
            room = self.cap - self.size + 1
            try:
                piece = self._obj.decompress(pending, max(room, 1))
            except zlib.error as exc:
                raise TransientError(f"corrupt {self.encoding} body: {exc}") from exc
            self._check(len(piece))
            out += piece
            pending = self._obj.unconsumed_tail
            if not pending:
                return bytes(out)

    def finish(self) -> bytes:
        if self._obj is None:
            return b""
        rest = self._obj.flush()
        self._check(len(rest))
        if self.encoding.endswith("gzip") and not self._obj.eof:
            raise TransientError("truncated gzip body")
        return rest


def parse_retry_after(value: str | None, default: float, cap: float) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped."""
    if not value:
        return min(default, cap)
    value = value.strip()
    if value.isdigit():
        return min(float(value), cap)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return min(default, cap)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - datetime.now(UTC)).total_seconds(), cap))


def request_host(url: str) -> str:
    """The host (with an explicit port) a URL is fetched from: the key politeness is kept under."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port is not None else host


def _report_retry_after(policy: HttpPolicy, url: str, response: FetchedResponse) -> FetchedResponse:
    if policy.on_retry_after is not None and response.status in RETRY_STATUSES:
        wait = parse_retry_after(
            response.headers.get("retry-after"), policy.default_retry_after, policy.max_retry_after
        )
        policy.on_retry_after(request_host(url), wait)
    return response


def fetch_once(
    client: httpx.Client,
    policy: HttpPolicy,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> FetchedResponse:
    """One request, read under the size cap and total deadline; transport problems become TransientError."""
    if policy.check_destination is not None:
        policy.check_destination(url)
    host = request_host(url)
    if policy.before_request is not None:
        policy.before_request(host)
    try:
        return _read(client, policy, method, url, params=params, data=data, headers=headers)
    finally:
        if policy.after_request is not None:
            policy.after_request(host)


def _read(
    client: httpx.Client,
    policy: HttpPolicy,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None,
    data: Mapping[str, str] | None,
    headers: Mapping[str, str] | None,
) -> FetchedResponse:
    deadline = time.monotonic() + policy.total_timeout
    try:
        with client.stream(method, url, params=params, data=data, headers=headers) as response:
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                raise ResponseTooLarge(
                    f"{url}: Content-Length {declared} exceeds the {policy.max_bytes}-byte cap"
                )
            encoding = response.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in DECODED_ENCODINGS:
                raise ProtocolError(f"{url}: Content-Encoding {encoding!r} was not asked for; refused")
            decoder = _CappedDecoder(encoding, policy.max_bytes)
            body = bytearray()
            wire = 0
            for chunk in response.iter_raw():
                wire += len(chunk)
                if wire > policy.max_bytes:
                    raise ResponseTooLarge(f"{url}: body exceeds the {policy.max_bytes}-byte cap")
                body += decoder.feed(chunk)
                if time.monotonic() > deadline:
                    raise TransientError(f"{url}: response not complete within {policy.total_timeout:g} s")
            body += decoder.finish()
            headers_out = {k.lower(): v for k, v in response.headers.items()}
            headers_out.pop("content-encoding", None)
            headers_out["content-length"] = str(len(body))
            fetched = FetchedResponse(response.status_code, str(response.url), headers_out, bytes(body))
            return _report_retry_after(policy, url, fetched)
    except httpx.TooManyRedirects as exc:
        raise TransientError(f"{url}: more than {policy.max_redirects} redirects") from exc
    except httpx.TimeoutException as exc:
        raise TransientError(f"{url}: timed out ({type(exc).__name__})") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"{url}: {type(exc).__name__}: {exc}") from exc


def fetch(
    client: httpx.Client,
    policy: HttpPolicy,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    on_response: Callable[[int, int], None] | None = None,
) -> FetchedResponse:
    """GET with retries on 429/503 honouring Retry-After (capped by the policy)."""
    attempt = 0
    while True:
        response = fetch_once(client, policy, "GET", url, params=params, headers=headers)
        if on_response is not None:
            on_response(response.status, len(response.content))
        if response.status not in RETRY_STATUSES or attempt >= policy.max_retries:
            return response
        wait = parse_retry_after(
            response.headers.get("retry-after"), policy.default_retry_after, policy.max_retry_after
        )
        logger.warning("%s answered %s; retrying in %.1f s", url, response.status, wait)
        policy.sleep(wait)
        attempt += 1


def raise_for_status(response: FetchedResponse) -> None:
    """Non-2xx: TransientError for 5xx, 408, 425 and 429 (a later run may succeed), else ProtocolError."""
    status = response.status
    if 200 <= status < 300:
        return
    message = f"{response.url} answered HTTP {status}"
    if status >= 500 or status in TRANSIENT_STATUSES:
        raise TransientError(message)
    raise ProtocolError(message)
