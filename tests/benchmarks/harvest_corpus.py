"""The harvest benchmark's corpus and server: N distinct oai_dc records cycled from the real fixtures,
served as real OAI-PMH from pre-serialised bytes (see bench_harvest.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape, quoteattr

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI = "{" + OAI_NS + "}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
START = datetime(2024, 1, 1, tzinfo=UTC)
MARK = "gkssbench"
_SERIAL = b"@@SERIAL@@"
_STAMP = b"@@STAMP@@"
_TOKEN = re.compile(r"^bench-(\d+)-(\d+)-(\d+)$")


def _templates() -> list[bytes]:
    """One ``<record>`` template per usable real record, with placeholders for serial and datestamp."""
    from lxml import etree

    from tests.support.oai_replay import load_real_records

    out: list[bytes] = []
    for record in load_real_records():
        if record.deleted or record.metadata is None or record.identifier is None or record.raw:
            continue
        dc = etree.fromstring(record.metadata)
        title = dc.find(DC + "title")
        if title is None:
            title = etree.SubElement(dc, DC + "title")
        title.text = f"{title.text or ''} [{MARK} {_SERIAL.decode()}]"
        metadata = etree.tostring(dc, encoding="UTF-8", xml_declaration=False, with_tail=False)
        sets = "".join(f"<setSpec>{escape(s)}</setSpec>" for s in record.sets)
        head = (
            f"<record><header><identifier>{escape(record.identifier)}:bench-{_SERIAL.decode()}</identifier>"
            f"<datestamp>{_STAMP.decode()}</datestamp>{sets}</header><metadata>"
        ).encode()
        out.append(head + metadata + b"</metadata></record>")
    if not out:
        raise SystemExit("no usable real records found under tests/fixtures/oai")
    return out


def build_records(n: int) -> list[bytes]:
    """N serialised ``<record>`` elements cycling the real records, each with its own id, stamp, title."""
    templates = _templates()
    records: list[bytes] = []
    for i in range(n):
        stamp = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        template = templates[i % len(templates)]
        records.append(template.replace(_SERIAL, b"%d" % i).replace(_STAMP, stamp))
    return records


def native_id_of(record: bytes) -> str:
    start = record.index(b"<identifier>") + len(b"<identifier>")
    raw = record[start : record.index(b"</identifier>", start)].decode()
    return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# -- the server ---------------------------------------------------------------------------------------


def make_server_class() -> type[Any]:
    """BenchReplayServer, defined lazily so that spawned children never import the test server."""
    from tests.support.oai_replay import FORMATS, SECONDS, CannedReply, OaiError, OaiReplayServer

    class BenchReplayServer(OaiReplayServer):  # type: ignore[misc]
        """OaiReplayServer whose ListRecords answers come from pre-serialised records."""

        def __init__(self, records: list[bytes], *, page_size: int) -> None:
            super().__init__([], page_size=page_size, granularity=SECONDS, earliest_datestamp=START)
            self.bench_records = records

        def answer(self, pairs: list[tuple[str, str]]) -> CannedReply:
            args = dict(pairs)
            if args.get("verb") != "ListRecords" or len(args) != len(pairs):
                return super().answer(pairs)  # Identify, other verbs, repeated arguments
            with self._lock:
                self._requests.append(args)
            try:
                body = self._list_records(args)
            except OaiError as error:
                body = self._error(args, error.code, error.message)
            return CannedReply(200, body, {"Content-Type": "text/xml; charset=utf-8"})

        def _list_records(self, args: dict[str, str]) -> bytes:
            if "resumptionToken" in args:
                if set(args) != {"verb", "resumptionToken"}:
                    raise OaiError("badArgument", "resumptionToken is an exclusive argument")
                match = _TOKEN.match(args["resumptionToken"])
                if match is None:
                    token = args["resumptionToken"]
                    raise OaiError("badResumptionToken", f"unknown resumption token {token!r}")
                lo, hi, offset = (int(g) for g in match.groups())
                if not lo <= offset < hi <= len(self.bench_records):
                    raise OaiError("badResumptionToken", "resumption token out of range")
            else:
                self._check(args, required=("metadataPrefix",), optional=("from", "until", "set"))
                if args["metadataPrefix"] not in FORMATS:
                    raise OaiError("cannotDisseminateFormat", f"{args['metadataPrefix']} is not supported")
                if "set" in args:
                    raise OaiError("noSetHierarchy", "this repository has no sets")
                lo, hi = self._window(args)
                if lo >= hi:
                    raise OaiError("noRecordsMatch", "no records match the request")
                offset = lo
            after = min(offset + self.page_size, hi)
            parts = [self._head(args), b"<ListRecords>", *self.bench_records[offset:after]]
            if after < hi or offset > lo:
                token = f"bench-{lo}-{hi}-{after}" if after < hi else ""
                parts.append(
                    f'<resumptionToken completeListSize="{hi - lo}" cursor="{offset - lo}">'
                    f"{token}</resumptionToken>".encode()
                )
            parts.append(b"</ListRecords></OAI-PMH>")
            return b"".join(parts)

        def _window(self, args: dict[str, str]) -> tuple[int, int]:
            """The index range of the records whose datestamps (START + i seconds) fall in from/until."""
            start, stop = self._window_bounds(args)
            total = len(self.bench_records)
            lo = 0 if start is None else int(-(-(start - START).total_seconds() // 1))
            hi = total if stop is None else int((stop - START).total_seconds() // 1) + 1
            return max(0, min(lo, total)), max(0, min(hi, total))

        def _head(self, args: dict[str, str]) -> bytes:
            attributes = "".join(f" {k}={quoteattr(v)}" for k, v in args.items())
            return (
                "<?xml version='1.0' encoding='UTF-8'?>\n"
                f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:schemaLocation="{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
                f"<responseDate>{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</responseDate>"
                f"<request{attributes}>{escape(self.url)}</request>"
            ).encode()

        def _error(self, args: dict[str, str], code: str, message: str) -> bytes:
            head = self._head(args if code not in ("badVerb", "badArgument") else {})
            return head + f'<error code="{code}">{escape(message)}</error></OAI-PMH>'.encode()

    return BenchReplayServer
