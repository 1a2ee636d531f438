"""OaiPmhHarvester's failures: HTTP retries, malformed and hostile bodies, OAI-PMH error codes (real
Zenodo answers), bad configuration."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from harvesters.base import HarvestState
from harvesters.errors import (
    ConfigurationError,
    MalformedResponse,
    ProtocolError,
    ResponseTooLarge,
    TransientError,
    UnsafeContent,
)
from harvesters.oaipmh import OaiPmhHarvester
from harvesters.records import RecordFailure
from harvesters.registry import typed_source
from tests.harvesters.oaipmh.support import (
    OAI,
    PAGE,
    Expected,
    Sleeps,
    harvester,
    policy,
    records_of,
)
from tests.support.oai_replay import (
    OaiReplayServer,
    ReplayRecord,
    fixture_bytes,
    load_real_records,
)


def test_503_with_retry_after_is_retried_after_the_advertised_wait(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    sleeps = Sleeps()
    server.fail_next(status=503, retry_after="7", verb="ListRecords")
    state = HarvestState()
    items = list(harvester(server, policy(sleeps)).harvest(state))

    assert sleeps.calls == [7.0]
    assert len(records_of(items)) == len(expected)
    assert state.statuses["503"] == 1


def test_429_with_http_date_retry_after_is_honoured_and_capped(server: OaiReplayServer) -> None:
    sleeps = Sleeps()
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=40), usegmt=True)
    server.fail_next(status=429, retry_after=when, verb="Identify")
    server.fail_next(status=503, retry_after="3600", verb="ListRecords")
    list(harvester(server, policy(sleeps, max_retry_after=30)).harvest(HarvestState()))

    assert len(sleeps.calls) == 2
    assert sleeps.calls[0] == 30  # 40 s away, capped at 30
    assert sleeps.calls[1] == 30


def test_503_forever_is_a_transient_error_after_the_retries(server: OaiReplayServer) -> None:
    sleeps = Sleeps()
    server.fail_next(status=503, retry_after="2", times=10, verb="ListRecords")
    with pytest.raises(TransientError, match="503"):
        list(harvester(server, policy(sleeps, max_retries=2)).harvest(HarvestState()))
    assert sleeps.calls == [2.0, 2.0]
    assert len(server.requests_for("ListRecords")) == 3


def test_http_500_with_real_empty_body_is_transient(server: OaiReplayServer) -> None:
    body = fixture_bytes(
        "mit/get-records-two-errors__02_GetRecord_meta-oai_dc_iden-oai_dspace.mit.edu_1721.1_152786_http500.txt"
    )
    assert body == b""
    server.serve_raw(body, status=500, verb="ListRecords")
    with pytest.raises(TransientError, match="HTTP 500"):
        list(harvester(server).harvest(HarvestState()))


@pytest.mark.parametrize(
    ("fixture", "verb"),
    [
        ("sickle/ListRecordsBroken.xml", "ListRecords"),
        ("pyoai/fake3-00001.xml", "Identify"),  # mismatched tag
        ("pyoai/fake4-00001.xml", "Identify"),  # undefined entity &bogus;
        ("zenodo/identify__01_Identify_http200.html", "Identify"),  # an HTML page with status 200
    ],
)
def test_ill_formed_or_html_bodies_are_malformed_responses(
    server: OaiReplayServer, fixture: str, verb: str
) -> None:
    server.serve_raw(fixture_bytes(fixture), verb=verb)
    with pytest.raises(MalformedResponse) as caught:
        list(harvester(server).harvest(HarvestState()))
    message = str(caught.value)
    assert server.url in message
    assert f"({verb})" in message


def test_empty_200_body_is_malformed(server: OaiReplayServer) -> None:
    server.serve_raw(b"", verb="ListRecords")
    with pytest.raises(MalformedResponse, match="ListRecords"):
        list(harvester(server).harvest(HarvestState()))


def test_gzip_bomb_is_refused_by_the_size_cap(server: OaiReplayServer) -> None:
    bomb = fixture_bytes("hostile/bomb-gzip.bin")
    assert len(bomb) < 64 * 1024
    server.serve_raw(
        bomb, headers={"Content-Type": "text/xml", "Content-Encoding": "gzip"}, verb="ListRecords"
    )
    with pytest.raises(ResponseTooLarge, match="decompressed"):
        list(harvester(server, policy(max_bytes=1024 * 1024)).harvest(HarvestState()))


def xxe_documents() -> list[bytes]:
    text = fixture_bytes("hostile/xxe-injection-payloads.txt")
    documents = [b"<?xml" + part for part in text.split(b"<?xml")[1:]]
    assert len(documents) == 10
    return [d.strip() for d in documents]


@pytest.mark.parametrize("document", xxe_documents(), ids=lambda d: f"xxe-{len(d)}")
def test_xxe_and_entity_expansion_payloads_are_refused(server: OaiReplayServer, document: bytes) -> None:
    server.serve_raw(document, verb="Identify")
    with pytest.raises(UnsafeContent) as caught:
        list(harvester(server).harvest(HarvestState()))
    assert "refused" in str(caught.value)
    assert "root:" not in str(caught.value)


def test_malformed_records_become_failures_and_the_rest_is_yielded(expected: list[Expected]) -> None:
    good = load_real_records()
    # A real record from sickle's ListRecords4.xml: a deleted header without an identifier.
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    sickle = etree.fromstring(fixture_bytes("sickle/ListRecords4.xml"), parser=parser)
    nameless = next(r for r in sickle.iter(f"{OAI}record") if r.find(f"{OAI}header/{OAI}identifier") is None)
    # The same file's live record with its metadata removed (and a new identifier): no metadata.
    live = next(r for r in sickle.iter(f"{OAI}record") if r.find(f"{OAI}metadata") is not None)
    stripped = etree.fromstring(etree.tostring(live, with_tail=False))
    identifier = stripped.find(f"{OAI}header/{OAI}identifier")
    metadata = stripped.find(f"{OAI}metadata")
    assert identifier is not None and metadata is not None
    stripped_id = f"{identifier.text}-without-metadata"
    identifier.text = stripped_id
    stripped.remove(metadata)
    stamp = datetime(2011, 1, 10, tzinfo=UTC)
    broken = [
        ReplayRecord(None, stamp, raw=etree.tostring(nameless, with_tail=False)),
        ReplayRecord(stripped_id, stamp, raw=etree.tostring(stripped, with_tail=False)),
    ]
    records = good[:5] + broken[:1] + good[5:20] + broken[1:] + good[20:]
    with OaiReplayServer(records, page_size=PAGE) as server:
        items = list(harvester(server).harvest(HarvestState()))

    failures = [i for i in items if isinstance(i, RecordFailure)]
    assert len(failures) == 2
    assert failures[0].native_id is None and "identifier" in failures[0].message
    assert failures[1].native_id == stripped_id and "metadata" in failures[1].message
    assert {r.native_id for r in records_of(items)} == {e.identifier for e in expected}


def test_no_records_match_is_zero_records_not_an_error(server: OaiReplayServer) -> None:
    state = HarvestState(since=datetime(2099, 1, 1, tzinfo=UTC))
    assert list(harvester(server).harvest(state)) == []
    assert server.requests_for("ListRecords")[0]["from"] == "2098-12-31T23:59:00Z"
    assert state.statuses == {"200": 2}


def test_oai_errors_become_protocol_errors_with_code(server: OaiReplayServer) -> None:
    with pytest.raises(ProtocolError, match="cannotDisseminateFormat"):
        list(harvester(server, metadata_prefix="marc21").harvest(HarvestState()))


ZENODO_422 = "zenodo/list_records__{}_http422.xml"


def test_real_zenodo_422_no_records_match_is_zero_records(server: OaiReplayServer) -> None:
    body = fixture_bytes(ZENODO_422.format("03_ListRecords_meta-oai_dc_from-2030-01-01"))
    server.serve_raw(body, status=422, verb="ListRecords")
    state = HarvestState()
    assert list(harvester(server).harvest(state)) == []
    assert state.statuses == {"200": 1, "422": 1}


def test_real_zenodo_422_bad_argument_is_a_protocol_error_with_code_and_message(
    server: OaiReplayServer,
) -> None:
    body = fixture_bytes(ZENODO_422.format("04_ListRecords_meta-XXX"))
    server.serve_raw(body, status=422, verb="ListRecords")
    with pytest.raises(ProtocolError, match="badArgument: metadataPrefix does not exist"):
        list(harvester(server).harvest(HarvestState()))


def test_real_zenodo_422_bad_resumption_token_restarts_the_list(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    body = fixture_bytes(ZENODO_422.format("11_ListRecords_rt"))
    server.fail_next(422, None, body, {"Content-Type": "text/xml"}, verb="ListRecords")
    items = list(harvester(server).harvest(HarvestState()))
    assert sorted(i.native_id for i in records_of(items)) == sorted(e.identifier for e in expected)
    assert len([q for q in server.requests_for("ListRecords") if "resumptionToken" not in q]) == 2


def test_a_base_url_that_is_not_http_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        OaiPmhHarvester(typed_source(id="x", protocol="oai-pmh", url="ftp://example.org/oai"), policy())
