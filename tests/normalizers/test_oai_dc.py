"""The oai_dc crosswalk on real OAI-PMH records, with expectations read from the XML in the tests."""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from lxml import etree

from harvesters.base import HarvestState
from harvesters.http import HttpPolicy
from harvesters.oaipmh import OaiPmhHarvester
from harvesters.records import RawRecord
from harvesters.registry import typed_source
from normalizers.dispatch import normalize
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.oai_dc import normalize_oai_dc
from tests.support.oai_replay import RECORD_FILES, OaiReplayServer, fixture_bytes, load_real_records

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT_TYPE = "application/oai-pmh+xml; prefix=oai_dc"


def real_record_elements() -> Iterator[etree._Element]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    seen: set[str] = set()
    for name in RECORD_FILES:
        for record in etree.fromstring(fixture_bytes(name), parser=parser).iter(f"{OAI}record"):
            identifier = record.findtext(f"{OAI}header/{OAI}identifier")
            if identifier and identifier not in seen:
                seen.add(identifier)
                yield record


def raw_of(record: etree._Element, source: str = "src") -> RawRecord:
    header = record.find(f"{OAI}header")
    assert header is not None
    return RawRecord(
        source_id=source,
        native_id=header.findtext(f"{OAI}identifier") or "",
        content_type=CONTENT_TYPE,
        payload=etree.tostring(record, with_tail=False),
        deleted=header.get("status") == "deleted",
    )


def live_records() -> list[etree._Element]:
    return [r for r in real_record_elements() if r.find(f"{OAI}header[@status='deleted']") is None]


def record_by_id(identifier: str) -> etree._Element:
    return next(r for r in real_record_elements() if r.findtext(f"{OAI}header/{OAI}identifier") == identifier)


def dc_texts(record: etree._Element, name: str) -> list[str]:
    return [" ".join((e.text or "").split()) for e in record.iter(f"{DC}{name}") if (e.text or "").strip()]


def first_date(values: list[str]) -> date:
    match = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", values[0])
    assert match
    year, month, day = match.groups()
    return date(int(year), int(month or 1), int(day or 1))


@pytest.mark.parametrize("record", live_records(), ids=lambda r: r.findtext(f"{OAI}header/{OAI}identifier"))
def test_real_record_fields_match_the_xml(record: etree._Element) -> None:
    raw = raw_of(record)
    resource = normalize_oai_dc(raw)

    identifier = record.findtext(f"{OAI}header/{OAI}identifier")
    assert resource.native_id == identifier
    titles = dc_texts(record, "title")
    assert next(iter(resource.title.values())) == titles[0]
    assert set(resource.title.values()) <= set(titles)
    assert resource.creators == list(dict.fromkeys(dc_texts(record, "creator")))
    assert resource.publisher == next(iter(dc_texts(record, "publisher")), None)
    assert resource.subjects == list(dict.fromkeys(dc_texts(record, "subject")))
    assert resource.published == first_date(dc_texts(record, "date"))
    stamp = record.findtext(f"{OAI}header/{OAI}datestamp") or ""
    assert resource.modified == datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert resource.url is not None
    assert resource.url in dc_texts(record, "identifier")
    digest = hashlib.sha256((identifier or "").encode()).hexdigest()[:20]
    assert resource.id == f"src-{digest}"
    assert resource.provenance.payload_hash == hashlib.sha256(raw.payload).hexdigest()
    assert resource.provenance.content_type == CONTENT_TYPE
    assert resource.provenance.protocol == "oai-pmh"
    assert resource.provenance.native_id == identifier


@pytest.mark.parametrize(
    ("identifier", "title_key", "languages"),
    [
        ("oai:test.example.com:1996652", "en", ["en"]),  # dc:language eng
        ("oai:zenodo.org:8435696", "und", []),  # no dc:language
        ("oai:zenodo.org:8435639", "en", ["en"]),
        ("hdl:1765/311", "nl", ["nl"]),
        ("hdl:1765/316", "en", ["en"]),  # en_US
        ("hdl:1765/308", "und", []),  # dc:language "other"
    ],
)
def test_title_language_comes_from_the_record_language(
    identifier: str, title_key: str, languages: list[str]
) -> None:
    resource = normalize_oai_dc(raw_of(record_by_id(identifier)))
    assert list(resource.title) == [title_key]
    assert resource.languages == languages


def test_description_with_xml_lang_is_keyed_by_it() -> None:
    record = record_by_id("oai:test.example.com:1585322")
    element = next(record.iter(f"{DC}description"))
    assert element.get("{http://www.w3.org/XML/1998/namespace}lang") == "eng"
    resource = normalize_oai_dc(raw_of(record))
    assert resource.description == {"en": " ".join((element.text or "").split())}


def test_xml_lang_wins_over_the_record_language() -> None:
    record = copy.deepcopy(record_by_id("hdl:1765/316"))
    assert dc_texts(record, "language") == ["en_US"]
    titles = list(record.iter(f"{DC}title"))
    titles[0].set("{http://www.w3.org/XML/1998/namespace}lang", "fr-CA")
    resource = normalize_oai_dc(raw_of(record))
    assert resource.title == {"fr": dc_texts(record, "title")[0]}


def test_escaped_html_descriptions_become_plain_text() -> None:
    record = record_by_id("oai:zenodo.org:8435696")
    source_text = next(record.iter(f"{DC}description")).text or ""
    assert source_text.startswith("&lt;p&gt;A configuration layer")
    description = normalize_oai_dc(raw_of(record)).description["und"]
    assert description.startswith("A configuration layer for the analysis of CMS data")
    assert "&lt;" not in description and "<p>" not in description and "<br>" not in description


@pytest.mark.parametrize(
    ("identifier", "url"),
    [
        ("oai:zenodo.org:8435696", "https://doi.org/10.5281/zenodo.8435696"),
        ("oai:dspace.mit.edu:1721.1/140856.2", "https://hdl.handle.net/1721.1/140856.2"),
        ("hdl:1765/308", "http://hdl.handle.net/1765/308"),  # an ISBN comes first
        ("oai:test.example.com:1996652", "http://test.example.com/publication/1996652"),
    ],
)
def test_url_prefers_resolvers(identifier: str, url: str) -> None:
    assert normalize_oai_dc(raw_of(record_by_id(identifier))).url == url


def test_resolver_url_wins_over_an_earlier_landing_page() -> None:
    record = copy.deepcopy(record_by_id("oai:zenodo.org:8435696"))
    first = next(record.iter(f"{DC}identifier"))
    landing = etree.Element(f"{DC}identifier")
    landing.text = "https://zenodo.org/records/8435696"
    first.addprevious(landing)
    assert dc_texts(record, "identifier")[0] == "https://zenodo.org/records/8435696"
    assert normalize_oai_dc(raw_of(record)).url == "https://doi.org/10.5281/zenodo.8435696"


def test_bare_doi_identifier_becomes_a_resolver_url() -> None:
    record = copy.deepcopy(record_by_id("oai:zenodo.org:8435696"))
    for element in record.iter(f"{DC}identifier"):
        if (element.text or "").startswith("https://doi.org/"):
            element.text = "doi:" + (element.text or "").removeprefix("https://doi.org/")
    assert "doi:10.5281/zenodo.8435696" in dc_texts(record, "identifier")
    assert normalize_oai_dc(raw_of(record)).url == "https://doi.org/10.5281/zenodo.8435696"


@pytest.mark.parametrize(
    ("identifier", "licence"),
    [
        ("oai:zenodo.org:8435696", "https://creativecommons.org/licenses/by/4.0/legalcode"),
        ("oai:dspace.mit.edu:1721.1/140856.2", "http://creativecommons.org/licenses/by-nc-sa/4.0/"),
        ("oai:test.example.com:1996652", None),
    ],
)
def test_licence_prefers_a_url(identifier: str, licence: str | None) -> None:
    record = record_by_id(identifier)
    if licence is not None:
        assert licence in dc_texts(record, "rights")
        assert dc_texts(record, "rights")[0] != licence  # a text statement comes first in the XML
    assert normalize_oai_dc(raw_of(record)).licence == licence


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        ("oai:test.example.com:1585322", "document"),  # info:eu-repo/semantics/article
        ("oai:dspace.mit.edu:1721.1/152958", "document"),  # Thesis
        ("oai:dspace.mit.edu:1721.1/41945", "other"),  # no dc:type
    ],
)
def test_type_is_mapped_onto_the_controlled_list(identifier: str, kind: str) -> None:
    assert normalize_oai_dc(raw_of(record_by_id(identifier))).type == kind


def test_coverage_naming_countries_becomes_iso_codes() -> None:
    pytest.importorskip("pycountry")
    record = copy.deepcopy(record_by_id("hdl:1765/311"))
    dc = next(record.iter(f"{DC}title")).getparent()
    assert dc is not None
    for value in ("Netherlands", "NLD", "Earth", "Belgium; France", "nl"):
        etree.SubElement(dc, f"{DC}coverage").text = value
    assert normalize_oai_dc(raw_of(record)).countries == ["NL", "BE", "FR"]


def test_deleted_records_are_skipped() -> None:
    deleted = [r for r in real_record_elements() if r.find(f"{OAI}header[@status='deleted']") is not None]
    assert deleted
    for record in deleted:
        raw = raw_of(record)
        with pytest.raises(SkipRecord):
            normalize_oai_dc(raw)
        flagged_only_in_header = RawRecord(raw.source_id, raw.native_id, CONTENT_TYPE, raw.payload)
        with pytest.raises(SkipRecord):
            normalize_oai_dc(flagged_only_in_header)


@pytest.mark.parametrize(
    "payload",
    [
        fixture_bytes("sickle/ListRecordsBroken.xml"),
        fixture_bytes("hostile/xxe-injection-payloads.txt").split(b"\n\n")[0],
        b"",
    ],
    ids=["broken-xml", "xxe", "empty"],
)
def test_unparseable_payloads_are_invalid(payload: bytes) -> None:
    with pytest.raises(InvalidRecord):
        normalize_oai_dc(RawRecord("src", "x", CONTENT_TYPE, payload))


def test_record_without_title_and_identifier_is_invalid_but_either_suffices() -> None:
    record = copy.deepcopy(record_by_id("oai:zenodo.org:8435696"))
    for element in list(record.iter(f"{DC}title")):
        element.getparent().remove(element)  # type: ignore[union-attr]
    untitled = normalize_oai_dc(raw_of(record))
    assert untitled.title == {}
    assert untitled.url == "https://doi.org/10.5281/zenodo.8435696"
    for element in list(record.iter(f"{DC}identifier")):
        element.getparent().remove(element)  # type: ignore[union-attr]
    with pytest.raises(InvalidRecord, match="neither"):
        normalize_oai_dc(raw_of(record))


def test_live_record_without_metadata_is_invalid() -> None:
    record = copy.deepcopy(record_by_id("oai:test.example.com:1996652"))
    metadata = record.find(f"{OAI}metadata")
    assert metadata is not None
    record.remove(metadata)
    with pytest.raises(InvalidRecord, match="metadata"):
        normalize_oai_dc(raw_of(record))


def test_harvested_records_normalise_through_dispatch() -> None:
    live = {r.findtext(f"{OAI}header/{OAI}identifier") for r in live_records()}
    with OaiReplayServer(load_real_records(), page_size=9) as server:
        spec = typed_source(id="replay", protocol="oai-pmh", url=server.url)
        harvester = OaiPmhHarvester(spec, HttpPolicy(sleep=lambda _: None))
        resources = []
        for item in harvester.harvest(HarvestState()):
            assert isinstance(item, RawRecord)
            if not item.deleted:
                resources.append(normalize(item, "oai-pmh"))
    assert {r.native_id for r in resources} == live
    assert all(r.source == "replay" and r.title for r in resources)
