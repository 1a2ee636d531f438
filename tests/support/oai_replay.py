"""An OAI-PMH data provider for tests, serving real records from memory with paging, windows and faults.

Usage::

    with OaiReplayServer(load_real_records(), page_size=7) as server:
        server.expire_tokens_after(2)                 # page 3's token request answers badResumptionToken
        server.fail_next(status=503, retry_after="1")  # the next request only
        server.serve_raw(b"<html/>", verb="ListRecords")  # every following ListRecords request
        ... server.url ...
        server.requests_for("ListRecords")[0]["from"]

Records are served in insertion order. Resumption tokens are opaque and stateful: each names a
snapshot of the list and an offset, and stays valid until the server expires it on request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from tests.support.oai_protocol import OaiError, ReplayProtocol, _Cursor
from tests.support.oai_records import (
    DAY,
    FORMATS,
    OAI,
    OAI_NS,
    RECORD_FILES,
    SECONDS,
    VERBS,
    XSI_NS,
    ReplayRecord,
    fixture_bytes,
    fixture_path,
    live_and_deleted,
    load_real_records,
    parse_fixture,
    records_in,
)

__all__ = [  # the records' names too: every test imports the replay from here
    "DAY",
    "FORMATS",
    "OAI",
    "OAI_NS",
    "RECORD_FILES",
    "SECONDS",
    "VERBS",
    "XSI_NS",
    "CannedReply",
    "OaiError",
    "OaiReplayServer",
    "ReplayRecord",
    "fixture_bytes",
    "fixture_path",
    "live_and_deleted",
    "load_real_records",
    "parse_fixture",
    "records_in",
]

_ENVELOPE = (
    f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{XSI_NS}" '
    f'xsi:schemaLocation="{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"/>'
).encode()


@dataclass(slots=True)
class CannedReply:
    """A fixed answer, for requests with ``verb`` (any verb when None); ``resuming``: only those carrying a
    resumptionToken."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    verb: str | None = None
    resuming: bool = False

    def applies_to(self, args: dict[str, str]) -> bool:
        if self.resuming and "resumptionToken" not in args:
            return False
        return self.verb is None or self.verb == args.get("verb")


class OaiReplayServer(ReplayProtocol):
    """A threaded OAI-PMH 2.0 provider on 127.0.0.1 answering from an in-memory record list."""

    def __init__(
        self,
        records: Iterable[ReplayRecord] = (),
        *,
        page_size: int = 10,
        granularity: str = SECONDS,
        repository_name: str = "gkss-hub OAI-PMH replay",
        deleted_record: str = "persistent",
        earliest_datestamp: datetime | None = None,
        clock_offset: timedelta = timedelta(0),
    ) -> None:
        if granularity not in (SECONDS, DAY):
            raise ValueError(f"unknown granularity {granularity!r}")
        self.page_size = max(1, page_size)
        self.granularity = granularity
        self.repository_name = repository_name
        self.deleted_record = deleted_record
        self.earliest_datestamp = earliest_datestamp
        self.clock_offset = clock_offset  # the repository's clock, ahead (+) or behind (-) ours
        self.response_dates: list[tuple[str | None, str]] = []  # (verb, responseDate) of every answer made
        self._lock = threading.Lock()
        self._records: list[ReplayRecord] = list(records)
        self._tokens: dict[str, _Cursor] = {}
        self._token_serial = 0
        self._failures: list[CannedReply] = []
        self._raw: CannedReply | None = None
        self._loop: str | None = None
        self._expiry_after: int | None = None
        self._expiry_pages = 0
        self._expiry_times = 0
        self._requests: list[dict[str, str]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="oai-replay", daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT/oai``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/oai"

    def __enter__(self) -> OaiReplayServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def now(self) -> datetime:
        """The repository's clock (``clock_offset`` from ours): its responseDate, and what a test stamps
        new records with."""
        return datetime.now(UTC) + self.clock_offset

    # -- inspection ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[dict[str, str]]:
        """Every request's arguments (query or form), in order, including answered faults."""
        with self._lock:
            return [dict(r) for r in self._requests]

    def requests_for(self, verb: str) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("verb") == verb]

    @property
    def records(self) -> list[ReplayRecord]:
        with self._lock:
            return list(self._records)

    # -- the repository changes ----------------------------------------------------------------

    def add_record(self, record: ReplayRecord) -> None:
        """Add a record, or replace the one with the same identifier (moving it to the end)."""
        with self._lock:
            self._records = [r for r in self._records if r.identifier != record.identifier or r.raw]
            self._records.append(record)

    def delete_record(self, identifier: str, datestamp: datetime) -> None:
        """Mark a record deleted as of ``datestamp`` (its metadata is no longer served)."""
        with self._lock:
            old = next(r for r in self._records if r.identifier == identifier)
        self.add_record(replace(old, deleted=True, metadata=None, datestamp=datestamp))

    # -- faults --------------------------------------------------------------------------------

    def expire_tokens_after(self, n_pages: int, times: int = 1) -> None:
        """After ``n_pages`` more list pages, refuse the next token request with badResumptionToken.

        With ``times`` > 1 the cycle repeats: again ``n_pages`` pages, then a refusal.
        """
        with self._lock:
            self._expiry_after = n_pages
            self._expiry_pages = 0
            self._expiry_times = times

    def loop_lists(self, tokens: str) -> None:
        """Answer every resumptionToken request with the list's first page again (a looping repository),
        carrying the very token asked for (``tokens="same"``) or a new one each time (``"fresh"``)."""
        if tokens not in ("same", "fresh"):
            raise ValueError(f"tokens must be 'same' or 'fresh', not {tokens!r}")
        with self._lock:
            self._loop = tokens

    def expire_next_token(self) -> None:
        """The next resumptionToken request answers badResumptionToken."""
        self.expire_tokens_after(0)

    def fail_next(
        self,
        status: int = 503,
        retry_after: str | None = "1",
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        *,
        times: int = 1,
        verb: str | None = None,
        resuming: bool = False,
    ) -> None:
        """Answer the next ``times`` requests (with ``verb``, if given; only those carrying a resumptionToken
        when ``resuming``) with this status and body."""
        canned_headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        if retry_after is not None:
            canned_headers["Retry-After"] = retry_after
        with self._lock:
            for _ in range(times):
                self._failures.append(CannedReply(status, body, dict(canned_headers), verb, resuming))

    def serve_raw(
        self,
        body: bytes,
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        verb: str | None = None,
    ) -> None:
        """Answer every following request (with ``verb``, if given) with exactly these bytes."""
        canned_headers = headers if headers is not None else {"Content-Type": "text/xml; charset=utf-8"}
        with self._lock:
            self._raw = CannedReply(status, body, dict(canned_headers), verb)

    def stop_raw(self) -> None:
        with self._lock:
            self._raw = None

    # -- protocol ------------------------------------------------------------------------------

    def answer(self, pairs: list[tuple[str, str]]) -> CannedReply:
        """The reply to one request given its argument pairs (repeats included)."""
        args = dict(pairs)
        with self._lock:
            self._requests.append(args)
            canned = self._take_fault(args)
            if canned is not None:
                return canned
            root = self._envelope(args)
            try:
                self._dispatch(root, pairs, args)
            except OaiError as error:
                root = self._envelope(args if error.code not in ("badVerb", "badArgument") else {})
                element = etree.SubElement(root, OAI + "error", code=error.code)
                element.text = error.message
        body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        return CannedReply(200, body, {"Content-Type": "text/xml; charset=utf-8"})

    def _take_fault(self, args: dict[str, str]) -> CannedReply | None:
        for index, canned in enumerate(self._failures):
            if canned.applies_to(args):
                return self._failures.pop(index)
        if self._raw is not None and self._raw.applies_to(args):
            return self._raw
        return None

    def _envelope(self, args: dict[str, str]) -> etree._Element:
        root = etree.fromstring(_ENVELOPE)
        answered = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        etree.SubElement(root, OAI + "responseDate").text = answered
        self.response_dates.append((args.get("verb"), answered))
        request = etree.SubElement(root, OAI + "request")
        request.text = self.url
        for key, value in args.items():
            request.set(key, value)
        return root


def _make_handler(server: OaiReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        timeout = 30

        def do_GET(self) -> None:
            self._serve(urlsplit(self.path).query)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self._serve(self.rfile.read(length).decode("utf-8", "replace"))

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self, query: str) -> None:
            if urlsplit(self.path).path != "/oai":
                reply = CannedReply(404, b"not found", {"Content-Type": "text/plain"})
            else:
                pairs = [
                    (k, v) for k, values in parse_qs(query, keep_blank_values=True).items() for v in values
                ]
                reply = server.answer(pairs)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if not any(k.lower() == "content-length" for k in reply.headers):
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            try:
                self.wfile.write(reply.body)
            except (ConnectionError, TimeoutError):
                self.close_connection = True

    return Handler
