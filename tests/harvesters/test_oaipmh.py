"""OaiPmhHarvester against a real HTTP OAI-PMH replay server serving real records and real faults."""

from __future__ import annotations

import email.utils
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import httpx
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
from harvesters.http import HttpPolicy
from harvesters.oaipmh import OaiPmhHarvester, identify
from harvesters.records import RawRecord, RecordFailure
from harvesters.registry import typed_source
from tests.support.oai_replay import (
    DAY,
    RECORD_FILES,
    SECONDS,
    OaiReplayServer,
    ReplayRecord,
    fixture_bytes,
    load_real_records,
)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
PAGE = 7


@dataclass(frozen=True)
class Expected:
    """A record as the fixture files hold it, read with lxml independently of the code under test."""

    identifier: str
    datestamp: datetime
    deleted: bool
    sets: tuple[str, ...]
    titles: tuple[str, ...]


def _stamp(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def fixture_records() -> list[Expected]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    out: dict[str, Expected] = {}
    for name in RECORD_FILES:
        root = etree.fromstring(fixture_bytes(name), parser=parser)
        for record in root.iter(f"{OAI}record"):
            identifier = record.findtext(f"{OAI}header/{OAI}identifier")
            if not identifier or identifier in out:
                continue
            header = record.find(f"{OAI}header")
            assert header is not None
            out[identifier] = Expected(
                identifier=identifier,
                datestamp=_stamp(header.findtext(f"{OAI}datestamp") or ""),
                deleted=header.get("status") == "deleted",
                sets=tuple(s.text or "" for s in header.findall(f"{OAI}setSpec")),
                titles=tuple(t.text or "" for t in record.iter(f"{DC}title")),
            )
    return list(out.values())


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def policy(
    sleep: Sleeps | None = None,
    *,
    max_retries: int = 2,
    max_retry_after: float = 120.0,
    max_bytes: int = 50 * 1024 * 1024,
) -> HttpPolicy:
    return HttpPolicy(
        connect_timeout=2,
        read_timeout=5,
        total_timeout=10,
        max_retries=max_retries,
        max_retry_after=max_retry_after,
        max_bytes=max_bytes,
        sleep=sleep or Sleeps(),
    )


def harvester(server: OaiReplayServer, http: HttpPolicy | None = None, **options: object) -> OaiPmhHarvester:
    spec = typed_source(id="replay", protocol="oai-pmh", url=server.url, options=dict(options))
    return OaiPmhHarvester(spec, http or policy())


def records_of(items: list[RawRecord | RecordFailure]) -> list[RawRecord]:
    return [i for i in items if isinstance(i, RawRecord)]


@pytest.fixture(scope="module")
def expected() -> list[Expected]:
    found = fixture_records()
    assert len(found) >= 30  # the fixtures hold a few dozen distinct real records
    return found


@pytest.fixture
def server() -> Iterator[OaiReplayServer]:
    with OaiReplayServer(load_real_records(), page_size=PAGE) as replay:
        yield replay


def test_full_harvest_yields_every_fixture_record_exactly_once(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    state = HarvestState()
    items = list(harvester(server).harvest(state))

    assert all(isinstance(i, RawRecord) for i in items)
    got = Counter(i.native_id for i in records_of(items))
    assert got == Counter(e.identifier for e in expected)
    pages = math.ceil(len(expected) / PAGE)
    assert len(server.requests_for("ListRecords")) == pages
    assert state.requests == len(server.requests) == pages + 1  # Identify + the pages
    assert state.statuses == {"200": pages + 1}
    assert state.bytes > 0


def test_records_carry_identifier_datestamp_and_whole_record_payload(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    by_id = {r.native_id: r for r in records_of(list(harvester(server).harvest(HarvestState())))}
    for want in expected:
        record = by_id[want.identifier]
        assert record.source_id == "replay"
        assert record.datestamp == want.datestamp
        assert record.content_type == "application/oai-pmh+xml; prefix=oai_dc"
        payload = etree.fromstring(record.payload)
        assert payload.tag == f"{OAI}record"
        assert payload.findtext(f"{OAI}header/{OAI}identifier") == want.identifier
        assert tuple(s.text for s in payload.iter(f"{OAI}setSpec")) == want.sets
        if not want.deleted:
            assert tuple(t.text or "" for t in payload.iter(f"{DC}title")) == want.titles


def test_deleted_headers_become_deleted_raw_records(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    deleted = {e.identifier for e in expected if e.deleted}
    assert deleted  # the fixtures hold real deletions (sickle, Zenodo, MIT)
    records = records_of(list(harvester(server).harvest(HarvestState())))
    assert {r.native_id for r in records if r.deleted} == deleted
    for record in records:
        if record.deleted:
            payload = etree.fromstring(record.payload)
            assert payload.find(f"{OAI}header/[@status='deleted']") is not None
            assert payload.find(f"{OAI}metadata") is None


def test_incremental_from_at_seconds_granularity_minus_overlap(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    since = datetime(2023, 10, 12, 3, 0, 30, tzinfo=UTC)
    items = list(harvester(server, overlap_seconds=90).harvest(HarvestState(since=since)))

    first = server.requests_for("ListRecords")[0]
    assert first["from"] == "2023-10-12T02:59:00Z"
    assert first["metadataPrefix"] == "oai_dc"
    assert "until" not in first
    start = since - timedelta(seconds=90)
    want = {e.identifier for e in expected if e.datestamp >= start}
    assert 0 < len(want) < len(expected)
    assert {r.native_id for r in records_of(items)} == want


def test_incremental_from_and_until_at_day_granularity(expected: list[Expected]) -> None:
    since = datetime(2023, 10, 12, 0, 0, 30, tzinfo=UTC)
    until = datetime(2023, 12, 31, 18, 0, tzinfo=UTC)
    with OaiReplayServer(load_real_records(), page_size=PAGE, granularity=DAY) as server:
        state = HarvestState(since=since, until=until)
        items = list(harvester(server).harvest(state))  # default overlap: 60 s

        first = server.requests_for("ListRecords")[0]
    assert (first["from"], first["until"]) == ("2023-10-11", "2023-12-31")
    want = {
        e.identifier
        for e in expected
        if datetime(2023, 10, 11).date() <= e.datestamp.date() <= datetime(2023, 12, 31).date()
    }
    assert 0 < len(want) < len(expected)
    assert {r.native_id for r in records_of(items)} == want


def test_set_option_restricts_the_list(server: OaiReplayServer, expected: list[Expected]) -> None:
    items = list(harvester(server, set="openaire_data").harvest(HarvestState()))
    assert server.requests_for("ListRecords")[0]["set"] == "openaire_data"
    want = {e.identifier for e in expected if "openaire_data" in e.sets}
    assert want
    assert {r.native_id for r in records_of(items)} == want


def test_expired_token_restarts_the_window_and_yields_each_record_once(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    server.expire_tokens_after(2)  # pages 1 and 2 are served, page 3's token is refused
    since = datetime(2000, 1, 1, tzinfo=UTC)
    state = HarvestState(since=since)
    items = list(harvester(server).harvest(state))

    counts = Counter(i.native_id for i in records_of(items))
    assert set(counts) == {e.identifier for e in expected}
    assert set(counts.values()) == {1}
    lists = server.requests_for("ListRecords")
    fresh = [q for q in lists if "resumptionToken" not in q]
    assert len(fresh) == 2  # the first request and one restart
    assert (
        fresh[0]
        == fresh[1]
        == {"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "2003-04-15T10:18:51Z"}
    )
    assert any("resumption token refused" in note for note in state.notes)


def test_gives_up_after_three_restarts(server: OaiReplayServer) -> None:
    server.expire_tokens_after(1, times=10)
    with pytest.raises(ProtocolError, match="badResumptionToken"):
        list(harvester(server).harvest(HarvestState()))
    fresh = [q for q in server.requests_for("ListRecords") if "resumptionToken" not in q]
    assert len(fresh) == 4  # the first attempt and three restarts


def test_a_token_given_twice_ends_the_run_instead_of_looping(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    server.loop_lists("same")  # every token request answers page 1 again, with the token asked for
    items: list[RawRecord | RecordFailure] = []
    with pytest.raises(ProtocolError, match="given twice: the list loops"):
        for item in harvester(server).harvest(HarvestState()):
            items.append(item)
    assert len(server.requests_for("ListRecords")) == 2
    assert len(records_of(items)) == PAGE, "page 1's records, once"


def test_pages_that_bring_nothing_new_end_the_run_instead_of_looping(server: OaiReplayServer) -> None:
    server.loop_lists("fresh")  # page 1 again and again, each time with a new token
    with pytest.raises(ProtocolError, match="20 pages in a row brought no new record"):
        list(harvester(server).harvest(HarvestState()))
    assert len(server.requests_for("ListRecords")) == 1 + 20


def test_a_restart_deep_in_a_list_is_not_taken_for_a_loop(expected: list[Expected]) -> None:
    assert len(expected) > 25 + 5
    with OaiReplayServer(load_real_records(), page_size=1) as one_by_one:
        one_by_one.expire_tokens_after(25)  # 25 pages, then a refused token: the list restarts
        state = HarvestState()
        items = list(harvester(one_by_one).harvest(state))  # pages 1-25 come again, bringing nothing new
    assert Counter(i.native_id for i in records_of(items)) == Counter(e.identifier for e in expected)
    assert any("restarting the list" in note for note in state.notes)


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


def test_the_source_grows_between_harvests(server: OaiReplayServer, expected: list[Expected]) -> None:
    first = records_of(list(harvester(server).harvest(HarvestState())))
    last_seen = max(r.datestamp for r in first if r.datestamp is not None)
    assert last_seen == max(e.datestamp for e in expected)

    later = last_seen + timedelta(days=3)
    template = next(r for r in load_real_records() if not r.deleted)
    server.add_record(replace(template, identifier="oai:replay:new-1", datestamp=later))
    gone = next(e.identifier for e in expected if not e.deleted)
    server.delete_record(gone, later + timedelta(hours=1))

    second = records_of(list(harvester(server).harvest(HarvestState(since=last_seen + timedelta(days=1)))))
    assert {(r.native_id, r.deleted) for r in second} == {("oai:replay:new-1", False), (gone, True)}


def test_harvest_is_lazy_one_page_at_a_time(server: OaiReplayServer) -> None:
    items = harvester(server).harvest(HarvestState())
    next(items)
    assert [q["verb"] for q in server.requests] == ["Identify", "ListRecords"]
    for _ in range(PAGE):
        next(items)
    assert len(server.requests_for("ListRecords")) == 2


def test_identify_helper_reads_the_repository_description(server: OaiReplayServer) -> None:
    info = identify(server.url, policy())
    assert info == {
        "repositoryName": server.repository_name,
        "baseURL": server.url,
        "granularity": SECONDS,
        "deletedRecord": "persistent",
        "earliestDatestamp": min(e.datestamp for e in fixture_records()).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "responseDate": server.response_dates[-1][1],
    }


def test_replay_server_speaks_list_identifiers_get_record_and_errors(
    server: OaiReplayServer, expected: list[Expected]
) -> None:
    client = httpx.Client(timeout=5)

    def ask(**params: str) -> etree._Element:
        response = client.get(server.url, params=params)
        assert response.status_code == 200
        return etree.fromstring(response.content)

    headers: list[etree._Element] = []
    root = ask(verb="ListIdentifiers", metadataPrefix="oai_dc")
    while True:
        headers += root.findall(f"{OAI}ListIdentifiers/{OAI}header")
        token = root.find(f"{OAI}ListIdentifiers/{OAI}resumptionToken")
        if token is None or not token.text:
            break
        root = ask(verb="ListIdentifiers", resumptionToken=token.text)
    assert token is not None  # the last page of a paged list carries an empty token
    last_page_offset = PAGE * (math.ceil(len(expected) / PAGE) - 1)
    assert token.get("completeListSize") == str(len(expected))
    assert token.get("cursor") == str(last_page_offset)
    assert [h.findtext(f"{OAI}identifier") for h in headers] == [e.identifier for e in expected]
    assert {h.findtext(f"{OAI}identifier") for h in headers if h.get("status") == "deleted"} == {
        e.identifier for e in expected if e.deleted
    }

    live = next(e for e in expected if not e.deleted)
    record = ask(verb="GetRecord", identifier=live.identifier, metadataPrefix="oai_dc")
    assert tuple(t.text for t in record.iter(f"{DC}title")) == live.titles

    def error_code(**params: str) -> str | None:
        error = ask(**params).find(f"{OAI}error")
        return None if error is None else error.get("code")

    assert error_code(verb="ListRecords", metadataPrefix="oai_dc", bogus="1") == "badArgument"
    assert error_code(verb="ListRecords", metadataPrefix="marc21") == "cannotDisseminateFormat"
    assert (
        error_code(verb="GetRecord", identifier="oai:nowhere:1", metadataPrefix="oai_dc") == "idDoesNotExist"
    )
    assert error_code(verb="ListRecords", resumptionToken="junk") == "badResumptionToken"
    assert error_code(verb="Harvest") == "badVerb"
    assert (
        error_code(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2099-01-01"}) == "noRecordsMatch"
    )
