"""The metadata formats: oai_dc carries each stored Resource's fields, gkss gives the Resource back."""

from __future__ import annotations

from lxml import etree

from hub.oai.serializers import Gkss, Links, OaiDc, lossless_json, read_gkss
from normalizers.resource import Resource
from tests.hub.oai.support import DC, GKSS, GKSS_XSD, OAI, OAI_DC, XML_LANG, Oai, Stored, oai_dc_schema

LINKS = Links("http://hub.example/")


def _records(oai: Oai, prefix: str) -> dict[str, etree._Element]:
    """identifier -> <record> of the whole ListRecords list in ``prefix`` (tokens followed)."""
    out: dict[str, etree._Element] = {}
    root = oai.get(f"verb=ListRecords&metadataPrefix={prefix}")
    while True:
        for record in root.iter(OAI + "record"):
            out[str(record.findtext(f"{OAI}header/{OAI}identifier"))] = record
        token = root.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
        if not token:
            return out
        root = oai.get(f"verb=ListRecords&resumptionToken={token}")


def _dc(element: etree._Element) -> list[tuple[str, str | None, str]]:
    return [(etree.QName(e).localname, e.get(XML_LANG), str(e.text)) for e in element]


def _expected_dc(resource: Resource, hub_url: str) -> list[tuple[str, str | None, str]]:
    """The oai_dc the provider documents, element by element, from the stored Resource."""

    def lang(tag: str) -> str | None:
        return None if tag == "und" else tag

    out = [("title", lang(k), v.strip()) for k, v in resource.title.items() if v.strip()]
    out += [("creator", None, c) for c in resource.creators]
    out += [("subject", None, s) for s in resource.subjects]
    out += [("description", lang(k), v.strip()) for k, v in resource.description.items() if v.strip()]
    out += [("publisher", None, resource.publisher)] if resource.publisher else []
    date = resource.published.isoformat() if resource.published else None
    if date is None and resource.modified:
        date = resource.modified.date().isoformat()
    out += [("date", None, date)] if date else []
    out += [("type", None, resource.type)]
    out += [("identifier", None, resource.url)] if resource.url else []
    out += [("identifier", None, f"{hub_url}api/resources/{resource.id}")]
    out += [("language", None, language) for language in resource.languages]
    out += [("coverage", None, country) for country in resource.countries]
    out += [("rights", None, resource.licence)] if resource.licence else []
    return out


def test_oai_dc_of_every_stored_record(oai: Oai, stored: list[Stored]) -> None:
    records = _records(oai, "oai_dc")
    assert set(records) == {r.identifier for r in stored}
    checked = 0
    for item in stored:
        dc = records[item.identifier].find(f"{OAI}metadata/{OAI_DC}dc")
        if item.resource is None:
            assert dc is None and records[item.identifier].find(OAI + "metadata") is None
            continue
        assert dc is not None
        assert _dc(dc) == _expected_dc(item.resource, "http://testserver/"), item.id
        checked += 1
    assert checked == sum(1 for r in stored if not r.deleted)
    kinds = {
        name for record in records.values() for dc in record.iter(OAI_DC + "dc") for name, _, _ in _dc(dc)
    }
    assert {"title", "creator", "subject", "description", "publisher", "date", "type", "identifier"} <= kinds
    assert {"language", "coverage", "rights"} <= kinds, "the corpus exercises every element"


def test_gkss_round_trips_every_stored_resource(oai: Oai, stored: list[Stored]) -> None:
    records = _records(oai, "gkss")
    for item in stored:
        element = records[item.identifier].find(f"{OAI}metadata/{GKSS}resource")
        if item.resource is None:
            assert element is None
            continue
        assert element is not None
        assert read_gkss(element) == item.resource
        assert element.findtext(GKSS + "json") == item.text, "the stored JSON text itself"
        assert (element.get("id"), element.get("source"), element.get("type")) == (
            item.id,
            item.source,
            item.resource.type,
        )


def _multilingual(stored: list[Stored]) -> Resource:
    base = next(r.resource for r in stored if r.resource is not None and r.resource.description)
    assert base is not None
    return base.model_copy(
        update={
            "title": {
                "en": "Coral reefs\x01",
                "fr": "Récifs coralliens",
                "zh-Hans": "珊瑚礁",
                "und": "Koraal",
            },
            "description": {"es": "Arrecifes \ufffe de coral", "en": "  "},
            "countries": ["KE", "TZ"],
        }
    )


def test_oai_dc_writes_every_language_and_drops_what_xml_cannot_carry(stored: list[Stored]) -> None:
    resource = _multilingual(stored)
    element = OaiDc().metadata(resource, resource.model_dump_json(), LINKS)
    assert oai_dc_schema().validate(etree.ElementTree(element)), oai_dc_schema().error_log
    titles = [(e.get(XML_LANG), e.text) for e in element.iter(DC + "title")]
    assert titles == [
        ("en", "Coral reefs"),
        ("fr", "Récifs coralliens"),
        ("zh-Hans", "珊瑚礁"),
        (None, "Koraal"),
    ]
    assert [(e.get(XML_LANG), e.text) for e in element.iter(DC + "description")] == [
        ("es", "Arrecifes  de coral")
    ]
    assert [e.text for e in element.iter(DC + "coverage")] == ["KE", "TZ"]
    assert element.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "http://www.openarchives.org/OAI/2.0/oai_dc/ http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
    )


def test_gkss_is_lossless_even_for_characters_xml_forbids(stored: list[Stored]) -> None:
    resource = _multilingual(stored)
    text = resource.model_dump_json()
    assert lossless_json(text) != text, "the control characters had to be escaped"
    element = Gkss().metadata(resource, text, LINKS)
    parsed = etree.fromstring(etree.tostring(element))
    assert read_gkss(parsed) == resource
    assert read_gkss(parsed).title["en"] == "Coral reefs\x01"
    schema = etree.XMLSchema(etree.parse(str(GKSS_XSD)))
    assert schema.validate(etree.ElementTree(parsed)), schema.error_log
    assert parsed.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == (
        "https://gkss-hub.cbd.int/ns/resource/1.0 http://hub.example/oai/schemas/gkss-resource-1.0.xsd"
    )


def test_markup_in_harvested_text_stays_text_in_both_formats(stored: list[Stored]) -> None:
    """Records and metadata are written as text: markup characters must come back as the same text."""
    hostile = '<script>alert("x")</script> & ]]> \'q\' "dq"\r\nline'
    base = next(s.resource for s in stored if s.resource is not None)
    resource = base.model_copy(update={"title": {"en": hostile}, "subjects": ["a<b", "c&d"], "type": "news"})
    text = resource.model_dump_json()
    dc = etree.fromstring(etree.tostring(OaiDc().metadata(resource, text, LINKS)))
    assert [e.text for e in dc.iter(DC + "title")] == [hostile]
    assert [e.text for e in dc.iter(DC + "subject")] == ["a<b", "c&d"]
    assert not list(dc.iter("script")) and not list(dc.iter("{*}script"))
    native = etree.fromstring(etree.tostring(Gkss().metadata(resource, text, LINKS)))
    assert read_gkss(native).title["en"] == hostile
