"""OaiPmhHarvester and a repository over time: growth between harvests, lazy paging, Identify, and
the replay server itself."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta

import httpx
from lxml import etree

from harvesters.base import HarvestState
from harvesters.oaipmh import identify
from tests.harvesters.oaipmh.support import (
    DC,
    OAI,
    PAGE,
    Expected,
    fixture_records,
    harvester,
    policy,
    records_of,
)
from tests.support.oai_replay import (
    SECONDS,
    OaiReplayServer,
    load_real_records,
)


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
