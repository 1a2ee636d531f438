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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from lxml import etree

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI = "{" + OAI_NS + "}"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
DAY = "YYYY-MM-DD"
VERBS = ("Identify", "ListMetadataFormats", "ListSets", "ListIdentifiers", "ListRecords", "GetRecord")
FORMATS = {
    "oai_dc": (
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
    ),
}

_ENVELOPE = (
    f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{XSI_NS}" '
    f'xsi:schemaLocation="{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"/>'
).encode()

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oai"
RECORD_FILES = (
    "sickle/ListRecords.xml",
    "sickle/GetRecord_utf8test.xml",
    "zenodo/list_records__06_ListRecords_meta-oai_dc_http200.xml",
    "zenodo/list_records__09_ListRecords_rt_http200.xml",
    "zenodo/list_records__10_ListRecords_rt_http200.xml",
    "zenodo/get_record__03_GetRecord_meta-oai_dc_iden-oai_zenodo.org_10357859_http200.xml",
    "pyoai/fake1-00005.xml",
    "mit/list-records-include-deleted__01_ListRecords_meta-oai_dc_from-2017-12-14_unti-2017-12-14_http200.xml",
    "mit/write-records__02_GetRecord_meta-oai_dc_iden-oai_dspace.mit.edu_1721.1_140856.2_http200.xml",
    "mit/write-records__03_GetRecord_meta-oai_dc_iden-oai_dspace.mit.edu_1721.1_140838.2_http200.xml",
    "mit/write-records__04_GetRecord_meta-oai_dc_iden-oai_dspace.mit.edu_1721.1_140861.2_http200.xml",
    "mit/cli-all-options-except-set-spec__02_GetRecord_meta-oai_dc_iden-oai_dspace.mit.edu_1721.1_41945_http200.xml",
    "mit/cli-all-options-except-set-spec__03_GetRecord_meta-oai_dc_iden-oai_dspace.mit.edu_1721.1_62792_http200.xml",
    "mit/get-records-two-errors__01_GetRecord_meta-oai_dc_iden-oai_dspace.mit.edu_1721.1_152958_http200.xml",
    "mit/record-not-found__02_GetRecord_meta-oai_dc_iden-oai_dspace.mit.edu_1721.1_137646_http200.xml",
)


def fixture_path(name: str) -> Path:
    """A file under ``tests/fixtures/oai`` (see PROVENANCE.tsv there)."""
    return FIXTURES / name


def fixture_bytes(name: str) -> bytes:
    return fixture_path(name).read_bytes()


def parse_fixture(name: str) -> etree._Element:
    """A fixture parsed with a hardened parser (no entities, no network)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(fixture_bytes(name), parser=parser)


@dataclass(slots=True)
class ReplayRecord:
    """One item of the replayed repository.

    ``metadata`` is the metadata root element (e.g. ``<oai_dc:dc>``) as bytes; ``raw``, when set,
    is a whole ``<record>`` served verbatim instead of one built from the other fields.
    """

    identifier: str | None
    datestamp: datetime
    metadata: bytes | None = None
    sets: tuple[str, ...] = ()
    deleted: bool = False
    prefix: str = "oai_dc"
    raw: bytes | None = None


def _parse_stamp(text: str) -> datetime:
    value = text.strip()
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def records_in(name: str) -> Iterator[ReplayRecord]:
    """The records of one fixture file, identifier-less ones included (with ``identifier=None``)."""
    for element in parse_fixture(name).iter(OAI + "record"):
        header = element.find(OAI + "header")
        if header is None:
            continue
        identifier = (header.findtext(OAI + "identifier") or "").strip() or None
        deleted = header.get("status") == "deleted"
        metadata = element.find(OAI + "metadata")
        payload = None
        if not deleted and metadata is not None and len(metadata):
            payload = etree.tostring(metadata[0], with_tail=False)
        yield ReplayRecord(
            identifier=identifier,
            datestamp=_parse_stamp(header.findtext(OAI + "datestamp") or "1970-01-01"),
            metadata=payload,
            sets=tuple((s.text or "").strip() for s in header.findall(OAI + "setSpec")),
            deleted=deleted,
        )


def live_and_deleted(records: Iterable[ReplayRecord]) -> tuple[set[str], set[str]]:
    """Identifiers of the live records (with metadata) and of the deleted ones, read from the records."""
    items = list(records)
    live = {r.identifier for r in items if r.identifier and not r.deleted and r.metadata}
    deleted = {r.identifier for r in items if r.identifier and r.deleted}
    return live, deleted


def load_real_records(files: Iterable[str] = RECORD_FILES) -> list[ReplayRecord]:
    """Distinct real oai_dc records (first occurrence of each identifier) from the copied fixtures."""
    seen: set[str] = set()
    out: list[ReplayRecord] = []
    for name in files:
        for record in records_in(name):
            if record.identifier is None or record.identifier in seen:
                continue
            seen.add(record.identifier)
            out.append(record)
    return out


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


@dataclass(slots=True)
class _Cursor:
    verb: str
    prefix: str
    records: list[ReplayRecord]
    offset: int


class OaiError(Exception):
    """An OAI-PMH error reply."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class OaiReplayServer:
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

    def _dispatch(self, root: etree._Element, pairs: list[tuple[str, str]], args: dict[str, str]) -> None:
        keys = [k for k, _ in pairs]
        if keys.count("verb") != 1 or args.get("verb") not in VERBS:
            raise OaiError("badVerb", "missing, repeated or illegal verb")
        if len(keys) != len(set(keys)):
            raise OaiError("badArgument", "repeated argument")
        verb = args["verb"]
        if verb == "Identify":
            self._check(args, required=())
            self._identify(root)
        elif verb == "ListMetadataFormats":
            self._check(args, required=(), optional=("identifier",))
            self._formats(root, args.get("identifier"))
        elif verb == "ListSets":
            self._check(args, required=(), optional=("resumptionToken",))
            self._sets(root, args)
        elif verb == "GetRecord":
            self._check(args, required=("identifier", "metadataPrefix"))
            self._get_record(root, args["identifier"], args["metadataPrefix"])
        else:
            self._list(root, verb, args)

    @staticmethod
    def _check(args: dict[str, str], required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
        names = set(args) - {"verb"}
        unknown = names - set(required) - set(optional)
        if unknown:
            raise OaiError("badArgument", f"illegal argument(s): {', '.join(sorted(unknown))}")
        missing = [name for name in required if not args.get(name)]
        if missing:
            raise OaiError("badArgument", f"missing argument(s): {', '.join(missing)}")

    def _stamp(self, moment: datetime) -> str:
        if self.granularity == DAY:
            return moment.astimezone(UTC).strftime("%Y-%m-%d")
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _identify(self, root: etree._Element) -> None:
        earliest = self.earliest_datestamp or min(
            (r.datestamp for r in self._records), default=datetime(1970, 1, 1, tzinfo=UTC)
        )
        element = etree.SubElement(root, OAI + "Identify")
        for name, value in (
            ("repositoryName", self.repository_name),
            ("baseURL", self.url),
            ("protocolVersion", "2.0"),
            ("adminEmail", "oai-replay@example.org"),
            ("earliestDatestamp", self._stamp(earliest)),
            ("deletedRecord", self.deleted_record),
            ("granularity", self.granularity),
        ):
            etree.SubElement(element, OAI + name).text = value

    def _formats(self, root: etree._Element, identifier: str | None) -> None:
        prefixes = set(FORMATS)
        if identifier is not None:
            record = self._find(identifier)
            prefixes = {record.prefix}
        element = etree.SubElement(root, OAI + "ListMetadataFormats")
        for prefix in sorted(prefixes & set(FORMATS)):
            schema, namespace = FORMATS[prefix]
            item = etree.SubElement(element, OAI + "metadataFormat")
            etree.SubElement(item, OAI + "metadataPrefix").text = prefix
            etree.SubElement(item, OAI + "schema").text = schema
            etree.SubElement(item, OAI + "metadataNamespace").text = namespace

    def _sets(self, root: etree._Element, args: dict[str, str]) -> None:
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is never paged here")
        specs = sorted({s for r in self._records for s in r.sets})
        if not specs:
            raise OaiError("noSetHierarchy", "this repository has no sets")
        element = etree.SubElement(root, OAI + "ListSets")
        for spec in specs:
            item = etree.SubElement(element, OAI + "set")
            etree.SubElement(item, OAI + "setSpec").text = spec
            etree.SubElement(item, OAI + "setName").text = spec

    def _find(self, identifier: str) -> ReplayRecord:
        for record in self._records:
            if record.identifier == identifier:
                return record
        raise OaiError("idDoesNotExist", f"no record {identifier}")

    def _get_record(self, root: etree._Element, identifier: str, prefix: str) -> None:
        record = self._find(identifier)
        if prefix != record.prefix:
            raise OaiError("cannotDisseminateFormat", f"{prefix} is not available for {identifier}")
        etree.SubElement(root, OAI + "GetRecord").append(self._record_element(record, metadata=True))

    def _bound(self, value: str | None, end: bool) -> tuple[datetime | None, str | None]:
        if value is None:
            return None, None
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                return datetime.combine(day, time.max if end else time.min, tzinfo=UTC), DAY
            if not value.endswith("Z") or len(value) != 20:
                raise ValueError(value)
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError as exc:
            raise OaiError("badArgument", f"illegal date {value!r}") from exc
        if self.granularity == DAY:
            raise OaiError("badArgument", f"{value!r} is finer than the repository's day granularity")
        return moment, SECONDS

    def _window_bounds(self, args: dict[str, str]) -> tuple[datetime | None, datetime | None]:
        """The request's from/until as instants (None: open); badArgument when they disagree."""
        start, start_kind = self._bound(args.get("from"), end=False)
        stop, stop_kind = self._bound(args.get("until"), end=True)
        if start_kind and stop_kind and start_kind != stop_kind:
            raise OaiError("badArgument", "from and until have different granularities")
        if start and stop and start > stop:
            raise OaiError("badArgument", "from is later than until")
        return start, stop

    def _matches(self, args: dict[str, str]) -> list[ReplayRecord]:
        start, stop = self._window_bounds(args)
        wanted_set = args.get("set")
        out = []
        for record in self._records:
            stamp = record.datestamp
            if self.granularity == DAY:
                stamp = datetime.combine(stamp.astimezone(UTC).date(), time.min, tzinfo=UTC)
            if start is not None and stamp < start:
                continue
            if stop is not None and stamp > stop:
                continue
            if wanted_set and not any(s == wanted_set or s.startswith(wanted_set + ":") for s in record.sets):
                continue
            if record.prefix != args["metadataPrefix"]:
                continue
            out.append(record)
        return out

    def _refuse_token(self) -> bool:
        if self._expiry_after is None or self._expiry_pages < self._expiry_after:
            return False
        self._expiry_times -= 1
        self._expiry_pages = 0
        if self._expiry_times <= 0:
            self._expiry_after = None
        return True

    def _list(self, root: etree._Element, verb: str, args: dict[str, str]) -> None:
        if "resumptionToken" in args:
            self._check(args, required=("resumptionToken",))
            token = args["resumptionToken"]
            if self._refuse_token():
                self._tokens.pop(token, None)
                raise OaiError("badResumptionToken", "the resumption token has expired")
            cursor = self._tokens.get(token)
            if cursor is None or cursor.verb != verb:
                raise OaiError("badResumptionToken", f"unknown resumption token {token!r}")
            if self._loop is not None:
                cursor = replace(cursor, offset=0)
        else:
            self._check(args, required=("metadataPrefix",), optional=("from", "until", "set"))
            if args["metadataPrefix"] not in FORMATS:
                raise OaiError("cannotDisseminateFormat", f"{args['metadataPrefix']} is not supported")
            if "set" in args and not any(r.sets for r in self._records):
                raise OaiError("noSetHierarchy", "this repository has no sets")
            matches = self._matches(args)
            if not matches:
                raise OaiError("noRecordsMatch", "no records match the request")
            cursor = _Cursor(verb, args["metadataPrefix"], matches, 0)
        page = cursor.records[cursor.offset : cursor.offset + self.page_size]
        element = etree.SubElement(root, OAI + verb)
        for record in page:
            item = self._record_element(record, metadata=verb == "ListRecords")
            element.append(item if verb == "ListRecords" else _header_of(item))
        self._expiry_pages += 1
        total = len(cursor.records)
        after = cursor.offset + len(page)
        if after < total:
            self._token_serial += 1
            token = f"rt-{self._token_serial}-{after}"
            if self._loop == "same" and "resumptionToken" in args:
                token = args["resumptionToken"]
            self._tokens[token] = _Cursor(verb, cursor.prefix, cursor.records, after)
            marker = etree.SubElement(element, OAI + "resumptionToken")
            marker.text = token
        elif cursor.offset > 0:
            marker = etree.SubElement(element, OAI + "resumptionToken")
        else:
            return
        marker.set("completeListSize", str(total))
        marker.set("cursor", str(cursor.offset))

    def _record_element(self, record: ReplayRecord, metadata: bool) -> etree._Element:
        if record.raw is not None:
            return etree.fromstring(record.raw)
        element = etree.Element(OAI + "record")
        header = etree.SubElement(element, OAI + "header")
        if record.deleted:
            header.set("status", "deleted")
        etree.SubElement(header, OAI + "identifier").text = record.identifier or ""
        etree.SubElement(header, OAI + "datestamp").text = self._stamp(record.datestamp)
        for spec in record.sets:
            etree.SubElement(header, OAI + "setSpec").text = spec
        if metadata and not record.deleted and record.metadata is not None:
            etree.SubElement(element, OAI + "metadata").append(etree.fromstring(record.metadata))
        return element


def _header_of(record: etree._Element) -> etree._Element:
    header = record.find(OAI + "header")
    return header if header is not None else etree.Element(OAI + "header")


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
