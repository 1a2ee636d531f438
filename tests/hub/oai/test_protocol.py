"""The OAI-PMH protocol at /oai: the validator request battery (conformance.md 2.2), the verbs, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from hub.context import Hub
from tests.hub.oai.support import (
    OAI,
    OAI_DC,
    PAGE_SIZE,
    REPOSITORY_ID,
    Oai,
    Stored,
    error_codes,
    oai_identifier,
)

pytestmark = pytest.mark.clock  # dates, times and zones: tests/run.sh reruns these under faketime

OK = "ok"
# conformance.md section 2.2 (HTTP::OAIPMH::Validator's battery, then the additional cases), then ours.
# Placeholders: {live} / {deleted} a stored record's identifier, {before} a day a year before the
# earliest datestamp.
BATTERY: list[tuple[str, set[str]]] = [
    ("junk", {"badVerb"}),
    ("verb=junk", {"badVerb"}),
    ("verb=GetRecord&metadataPrefix=oai_dc", {"badArgument"}),
    ("verb=GetRecord&identifier={live}", {"badArgument"}),
    ("verb=GetRecord&identifier=invalid%22id&metadataPrefix=oai_dc", {"badArgument", "idDoesNotExist"}),
    ("verb=ListIdentifiers&until=junk", {"badArgument"}),
    ("verb=ListIdentifiers&from=junk", {"badArgument"}),
    ("verb=ListIdentifiers&resumptionToken=junk&until=2000-02-05", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=junk", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&until=junk", {"badArgument"}),
    ("verb=ListRecords&resumptionToken=junk", {"badResumptionToken"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=junk&until=1990-01-10", {"badArgument"}),
    ("verb=ListRecords", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2002-02-05&until=2002-02-06T05:35:00Z", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&until={before}", {"noRecordsMatch"}),
    ("verb=Identify&foo=bar", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=nope", {"cannotDisseminateFormat"}),
    ("verb=ListMetadataFormats&identifier=oai:x:missing", {"idDoesNotExist"}),
    ("verb=ListSets&resumptionToken=x&foo=y", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=oai_dc", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=does-not-exist", {"noRecordsMatch"}),
    # ours: more of every error code, and the successes
    ("", {"badVerb"}),
    ("verb=Identify&verb=Identify", {"badVerb"}),
    ("verb=identify", {"badVerb"}),
    ("verb=ListRecords&metadataPrefix=", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-02-30", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01T00:00:00", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-01T00:00:00.5Z", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&from=2024-01-02&until=2024-01-01", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=a%20b", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=%3Cx%3E", {"badArgument"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=type:nothing-of-this-type", {"noRecordsMatch"}),
    ("verb=ListRecords&metadataPrefix=oai_dc&set=source:repo:deeper", {"noRecordsMatch"}),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc&from=2999-01-01", {"noRecordsMatch"}),
    ("verb=ListIdentifiers&resumptionToken=%01", {"badArgument"}),
    ("verb=ListSets&resumptionToken=junk", {"badResumptionToken"}),
    ("verb=ListMetadataFormats&identifier=oai:gkss-hub.cbd.int:nope", {"idDoesNotExist"}),
    ("verb=ListMetadataFormats&metadataPrefix=oai_dc", {"badArgument"}),
    ("verb=GetRecord&identifier=oai:gkss-hub.cbd.int:nope&metadataPrefix=oai_dc", {"idDoesNotExist"}),
    ("verb=GetRecord&identifier={live}&metadataPrefix=nope", {"cannotDisseminateFormat"}),
    ("verb=GetRecord&identifier={live}&metadataPrefix=oai_dc&set=source", {"badArgument"}),
    ("verb=Identify", {OK}),
    ("verb=ListMetadataFormats", {OK}),
    ("verb=ListMetadataFormats&identifier={deleted}", {OK}),
    ("verb=ListSets", {OK}),
    ("verb=GetRecord&identifier={live}&metadataPrefix=oai_dc", {OK}),
    ("verb=GetRecord&identifier={deleted}&metadataPrefix=gkss", {OK}),
    ("verb=ListIdentifiers&metadataPrefix=oai_dc", {OK}),
    ("verb=ListRecords&metadataPrefix=gkss&set=source:tagged", {OK}),
    ("verb=ListRecords&metadataPrefix=oai_dc&from={before}", {OK}),
]


def _fill(query: str, stored: list[Stored]) -> str:
    live = next(r for r in stored if not r.deleted)
    deleted = next(r for r in stored if r.deleted)
    before = (stored[0].changed_at - timedelta(days=366)).strftime("%Y-%m-%d")
    return query.format(live=live.identifier, deleted=deleted.identifier, before=before)


def _request(root: etree._Element) -> etree._Element:
    request = root.find(OAI + "request")
    assert request is not None
    return request


def _echo(request: etree._Element) -> dict[str, str]:
    return {str(key): str(value) for key, value in request.attrib.items()}


@pytest.mark.parametrize(("query", "expected"), BATTERY, ids=[q or "(empty)" for q, _ in BATTERY])
def test_request_battery(oai: Oai, stored: list[Stored], query: str, expected: set[str]) -> None:
    query = _fill(query, stored)
    for root in (oai.get(query), oai.post(query)):
        codes = error_codes(root)
        request = _request(root)
        assert request.text == "http://testserver/oai"
        if expected == {OK}:
            assert codes == []
            assert _echo(request) == dict(parse_qsl(query))
            assert root.find(OAI + str(request.get("verb"))) is not None
            continue
        assert codes, f"{query} answered without an error"
        assert set(codes) <= expected, f"{query}: {codes} not in {expected}"
        if {"badVerb", "badArgument"} & set(codes):
            assert _echo(request) == {}, "badVerb/badArgument replies echo no arguments"
        else:
            assert _echo(request) == dict(parse_qsl(query))


def test_every_error_that_applies_is_reported(oai: Oai) -> None:
    root = oai.get("verb=GetRecord&identifier=oai:gkss-hub.cbd.int:nope&metadataPrefix=nope")
    assert sorted(error_codes(root)) == ["cannotDisseminateFormat", "idDoesNotExist"]
    root = oai.get("verb=ListRecords&from=junk&until=junk&foo=1")
    assert len(error_codes(root)) == 4 and set(error_codes(root)) == {"badArgument"}


def test_errors_are_http_200_text_xml(client: TestClient) -> None:
    for query in ("verb=junk", "verb=ListRecords&resumptionToken=junk", "verb=Identify"):
        response = client.get(f"/oai?{query}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/xml; charset=utf-8"


def test_identify(oai: Oai, stored: list[Stored], oai_hub: Hub) -> None:
    root = oai.get("verb=Identify")
    identify = root.find(OAI + "Identify")
    assert identify is not None
    values = {etree.QName(child).localname: child.text for child in identify}
    assert values["repositoryName"] == oai_hub.settings.hub_name == "gkss-hub"
    assert values["baseURL"] == "http://testserver/oai"
    assert values["protocolVersion"] == "2.0"
    assert values["adminEmail"] == "gkss-hub@cbd.int"
    assert values["earliestDatestamp"] == min(r.datestamp for r in stored)
    assert values["deletedRecord"] == "persistent"
    assert values["granularity"] == "YYYY-MM-DDThh:mm:ssZ"
    ns = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"
    assert identify.findtext(f"{OAI}description/{ns}oai-identifier/{ns}repositoryIdentifier") == REPOSITORY_ID
    stamp = str(root.findtext(OAI + "responseDate"))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    answered = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(answered - datetime.now(UTC)) < timedelta(minutes=1)


def test_get_and_post_answer_alike(oai: Oai, stored: list[Stored]) -> None:
    query = f"verb=GetRecord&identifier={stored[-1].identifier}&metadataPrefix=oai_dc"
    got, posted = oai.get(query), oai.post(query)
    for root in (got, posted):
        root.remove(root.find(OAI + "responseDate"))  # type: ignore[arg-type]
    assert etree.tostring(got) == etree.tostring(posted)


def test_list_metadata_formats_and_the_served_gkss_schema(oai: Oai, client: TestClient) -> None:
    root = oai.get("verb=ListMetadataFormats")
    formats = {
        f.findtext(OAI + "metadataPrefix"): (
            f.findtext(OAI + "schema"),
            f.findtext(OAI + "metadataNamespace"),
        )
        for f in root.iter(OAI + "metadataFormat")
    }
    assert formats["oai_dc"] == (
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        "http://www.openarchives.org/OAI/2.0/oai_dc/",
    )
    schema_url, namespace = formats["gkss"]
    assert namespace == "https://gkss-hub.cbd.int/ns/resource/1.0"
    assert schema_url == "http://testserver/oai/schemas/gkss-resource-1.0.xsd"
    served = client.get(str(schema_url).removeprefix("http://testserver"))
    assert served.status_code == 200
    assert etree.fromstring(served.content).get("targetNamespace") == namespace
    etree.XMLSchema(etree.fromstring(served.content))  # a well-formed, usable schema


def test_get_record_of_a_live_and_a_deleted_record(oai: Oai, stored: list[Stored]) -> None:
    live = next(
        r for r in stored if not r.deleted and r.source == "tagged" and r.resource and r.resource.countries
    )
    root = oai.get(f"verb=GetRecord&identifier={live.identifier}&metadataPrefix=oai_dc")
    header = root.find(f"{OAI}GetRecord/{OAI}record/{OAI}header")
    assert header is not None and header.get("status") is None
    assert header.findtext(OAI + "identifier") == oai_identifier(live.id)
    assert header.findtext(OAI + "datestamp") == live.datestamp
    assert {s.text for s in header.findall(OAI + "setSpec")} == live.sets
    assert root.find(f"{OAI}GetRecord/{OAI}record/{OAI}metadata/{OAI_DC}dc") is not None

    gone = next(r for r in stored if r.deleted)
    root = oai.get(f"verb=GetRecord&identifier={gone.identifier}&metadataPrefix=oai_dc")
    record = root.find(f"{OAI}GetRecord/{OAI}record")
    assert record is not None
    assert record.find(OAI + "metadata") is None
    header = record.find(OAI + "header")
    assert header is not None and header.get("status") == "deleted"
    assert header.findtext(OAI + "datestamp") == gone.datestamp
    assert [s.text for s in header.findall(OAI + "setSpec")] == [f"source:{gone.source}"]


def _chain(oai: Oai, query: str) -> tuple[list[etree._Element], list[etree._Element]]:
    """Every page of a list (following tokens): the pages' items and their resumptionToken elements."""
    items: list[etree._Element] = []
    tokens: list[etree._Element] = []
    root = oai.get(query)
    verb = dict(parse_qsl(query))["verb"]
    while True:
        container = root.find(OAI + verb)
        assert container is not None, error_codes(root)
        items += [c for c in container if c.tag != OAI + "resumptionToken"]
        token = container.find(OAI + "resumptionToken")
        if token is None or not token.text:
            if token is not None:
                tokens.append(token)
            return items, tokens
        tokens.append(token)
        root = oai.get(f"verb={verb}&resumptionToken={token.text}")


def test_list_identifiers_pages_with_tokens(oai: Oai, stored: list[Stored]) -> None:
    items, tokens = _chain(oai, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    assert [h.findtext(OAI + "identifier") for h in items] == [r.identifier for r in stored]
    assert [h.get("status") == "deleted" for h in items] == [r.deleted for r in stored]
    pages = -(-len(stored) // PAGE_SIZE)
    assert len(tokens) == pages, "one token per page but the first; the last page's is empty"
    assert [int(str(t.get("cursor"))) for t in tokens] == [PAGE_SIZE * k for k in range(pages)]
    assert {t.get("completeListSize") for t in tokens} == {str(len(stored))}
    assert tokens[-1].text is None and all(t.text for t in tokens[:-1])


def test_a_list_on_one_page_has_no_token(oai: Oai, stored: list[Stored]) -> None:
    members = [r for r in stored if r.in_set("country:BR")]
    assert 0 < len(members) <= PAGE_SIZE
    root = oai.get("verb=ListIdentifiers&metadataPrefix=gkss&set=country:BR")
    assert root.find(f"{OAI}ListIdentifiers/{OAI}resumptionToken") is None
    assert [h.findtext(OAI + "identifier") for h in root.iter(OAI + "header")] == [
        r.identifier for r in members
    ]


def test_a_token_is_idempotent(oai: Oai, stored: list[Stored]) -> None:
    first = oai.get("verb=ListRecords&metadataPrefix=oai_dc")
    token = first.findtext(f"{OAI}ListRecords/{OAI}resumptionToken")
    assert token
    pages = [oai.get(f"verb=ListRecords&resumptionToken={token}") for _ in range(2)]
    ids = [[h.text for h in page.iter(OAI + "identifier")] for page in pages]
    assert ids[0] == ids[1] == [r.identifier for r in stored[PAGE_SIZE : 2 * PAGE_SIZE]]


def test_list_sets_lists_every_set_with_records(oai: Oai, stored: list[Stored]) -> None:
    from tests.hub.oai.support import all_sets

    items, _ = _chain(oai, "verb=ListSets")
    specs = [s.findtext(OAI + "setSpec") for s in items]
    assert specs == sorted(all_sets(stored))
    assert {"source", "type", "country", "target", "country:KE", "target:GBF-TARGET-19"} <= set(specs)
    names = {s.findtext(OAI + "setSpec"): s.findtext(OAI + "setName") for s in items}
    assert names["country:KE"] == "Country: Kenya (KE)"
    assert str(names["target:GBF-TARGET-03"]).startswith("GBF target: GBF-T03")


def test_hostile_argument_values_stay_well_formed(oai: Oai) -> None:
    for query in (
        "verb=ListMetadataFormats&identifier=oai:x:%3C%26%22%27%3E",
        "verb=GetRecord&identifier=oai:x:a%26b&metadataPrefix=oai_dc",
        "verb=ListRecords&resumptionToken=%3C%21--%26%22",
        "verb=ListRecords&metadataPrefix=oai_dc&set=%3Cscript%3E",
        "verb=%3C%3Fxml",
        "verb=ListRecords&metadataPrefix=oai_dc&from=%00",
    ):
        assert error_codes(oai.get(query)), query


def test_a_post_body_without_form_encoding_has_no_arguments(client: TestClient) -> None:
    from tests.hub.oai.support import check_oai

    response = client.post("/oai", content=b"verb=Identify", headers={"Content-Type": "text/plain"})
    assert error_codes(check_oai(response.content, response.headers["content-type"])) == ["badVerb"]
