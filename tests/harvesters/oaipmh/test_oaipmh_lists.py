"""OaiPmhHarvester's lists: full and incremental windows, sets, resumption tokens, restarts and loops,
against a real OAI-PMH replay on 127.0.0.1."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from harvesters.base import HarvestState
from harvesters.errors import (
    ProtocolError,
)
from harvesters.records import RawRecord, RecordFailure
from tests.harvesters.oaipmh.support import (
    DC,
    OAI,
    PAGE,
    Expected,
    harvester,
    records_of,
)
from tests.support.oai_replay import (
    DAY,
    OaiReplayServer,
    load_real_records,
)


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
