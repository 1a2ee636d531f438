"""The real OAI-PMH records the tests replay: the copied fixtures (``tests/fixtures/oai``), read into
``ReplayRecord`` items, and the protocol's names and formats the replay server shares."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

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
