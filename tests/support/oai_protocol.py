"""The OAI-PMH 2.0 verbs as the replay server answers them from its in-memory records: argument
checks, Identify, ListMetadataFormats, ListSets, GetRecord and the paged lists with their stateful
resumption tokens (``OaiReplayServer`` adds HTTP, faults and the record changes)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from lxml import etree

from tests.support.oai_records import DAY, FORMATS, OAI, SECONDS, VERBS, ReplayRecord


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


class ReplayProtocol:
    """The verbs answered from ``_records`` (the state is ``OaiReplayServer``'s: it sets every
    attribute below and holds its lock while a verb runs)."""

    page_size: int
    granularity: str
    repository_name: str
    deleted_record: str
    earliest_datestamp: datetime | None
    _records: list[ReplayRecord]
    _tokens: dict[str, _Cursor]
    _token_serial: int
    _loop: str | None
    _expiry_after: int | None
    _expiry_pages: int
    _expiry_times: int

    @property
    def url(self) -> str:
        """The base URL the repository announces (the server's)."""
        raise NotImplementedError

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
