"""CbdIndexHarvester against real CBD index (Solr) documents served as a paged select over local HTTP.

The documents are the raw ``schema_s:meeting`` dump and the ORT OpenAPI examples in
``tests/fixtures/cbd`` (see PROVENANCE.tsv); pages are cut from them with correct numFound/start.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from harvesters.base import HarvestItem, HarvestState, SourceSpec
from harvesters.cbd_index import CONTENT_TYPE, PRESETS, CbdIndexHarvester
from harvesters.errors import ConfigurationError, MalformedResponse, ProtocolError, TransientError
from harvesters.http import HttpPolicy, make_client
from harvesters.records import RawRecord, RecordFailure
from harvesters.registry import build_harvester, typed_source
from registry.sources import registered_source
from tests.support.http_replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cbd"
SELECT = "/api/v2013/index/select"
JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}


def _no_sleep(seconds: float) -> None:
    return None


POLICY = HttpPolicy(connect_timeout=2.0, read_timeout=2.0, total_timeout=20.0, max_retries=1, sleep=_no_sleep)


def meeting_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = json.loads(
        (FIXTURES / "index_raw_docs_schema_meeting.json").read_text("utf-8")
    )
    # the order the query's sort asks for: updatedDate_dt asc, id asc
    return sorted(docs, key=lambda d: (d["updatedDate_dt"], d["id"]))


def ort_docs() -> list[dict[str, Any]]:
    examples = json.loads((FIXTURES / "index_select_examples_from_api_docs_ort.json").read_text("utf-8"))
    unique: dict[str, dict[str, Any]] = {}
    for example in examples["examples"].values():
        for doc in example["example_response"]["response"]["docs"]:
            unique.setdefault(doc["uniqueIdentifier_s"], doc)
    return list(unique.values())


def page(docs: list[dict[str, Any]], start: int, rows: int, q: str = "schema_s:meeting") -> bytes:
    """A Solr select response as the API answers it (envelope per cbd-sources.md section 1.1)."""
    body = {
        "responseHeader": {"status": 0, "QTime": 3, "params": {"q": q, "wt": "json"}},
        "response": {"numFound": len(docs), "start": start, "docs": docs[start : start + rows]},
        "nonSupportedParams": [],
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def expected_query(q: str, fqs: list[str], start: int, rows: int) -> str:
    """The request the harvester must send, written out from cbd-sources.md, independent of the code."""
    pairs = [("q", q), *(("fq", f) for f in fqs)]
    pairs += [
        ("sort", "updatedDate_dt asc, id asc"),
        ("start", str(start)),
        ("rows", str(rows)),
        ("wt", "json"),
    ]
    return urlencode(pairs)


MEETING_FQS = ["_state_s:public", "(*:* NOT version_s:*)", "realm_ss:chm"]


def serve_pages(server: ReplayServer, docs: list[dict[str, Any]], rows: int, q: str, fqs: list[str]) -> None:
    for start in range(0, max(len(docs), 1), rows):
        server.route(
            f"{SELECT}?{expected_query(q, fqs, start, rows)}", page(docs, start, rows, q), headers=JSON_TYPE
        )


def spec(server: ReplayServer, **options: Any) -> SourceSpec:
    return typed_source("cbd-meetings", "cbd-index", server.url, options)


def run(harvester: CbdIndexHarvester, state: HarvestState | None = None) -> list[HarvestItem]:
    with make_client(POLICY) as client:
        harvester._client = client
        return list(harvester.harvest(state or HarvestState()))


def records(items: list[HarvestItem]) -> list[RawRecord]:
    return [item for item in items if isinstance(item, RawRecord)]


def test_paging_yields_every_document_once_in_order() -> None:
    docs = meeting_docs()
    rows = 4
    with ReplayServer() as server:
        serve_pages(server, docs, rows, "schema_s:meeting", MEETING_FQS)
        state = HarvestState()
        items = run(CbdIndexHarvester(spec(server, preset="meetings", rows=rows), POLICY), state)
        starts = [dict(parse_qsl(r.query))["start"] for r in server.requests_to(SELECT)]
    got = records(items)
    assert len(items) == len(got) == len(docs)
    assert [r.native_id for r in got] == [d["identifier_s"] for d in docs]
    assert len({r.native_id for r in got}) == len(docs)
    assert starts == [str(s) for s in range(0, len(docs), rows)]
    assert state.requests == -(-len(docs) // rows)
    for record, doc in zip(got, docs, strict=True):
        assert record.content_type == CONTENT_TYPE
        assert record.source_id == "cbd-meetings"
        assert json.loads(record.payload) == doc
        assert record.datestamp == datetime.fromisoformat(doc["updatedDate_dt"].replace("Z", "+00:00"))


def test_one_page_when_rows_cover_num_found() -> None:
    docs = meeting_docs()
    with ReplayServer() as server:
        serve_pages(server, docs, 100, "schema_s:meeting", MEETING_FQS)
        items = run(CbdIndexHarvester(spec(server, preset="meetings"), POLICY))
        assert len(server.requests_to(SELECT)) == 1
    assert len(records(items)) == len(docs)


def test_incremental_run_sends_the_updated_date_filter() -> None:
    docs = meeting_docs()
    since = datetime(2025, 7, 23, 13, 2, 30, tzinfo=UTC)
    newer = [d for d in docs if datetime.fromisoformat(d["updatedDate_dt"].replace("Z", "+00:00")) >= since]
    assert 0 < len(newer) < len(docs)
    fqs = [*MEETING_FQS, "updatedDate_dt:[2025-07-23T13:02:30Z TO *]"]
    with ReplayServer() as server:
        serve_pages(server, newer, 5, "schema_s:meeting", fqs)
        items = run(
            CbdIndexHarvester(spec(server, preset="meetings", rows=5), POLICY), HarvestState(since=since)
        )
        sent = [parse_qsl(r.query) for r in server.requests_to(SELECT)]
    assert [r.native_id for r in records(items)] == [d["identifier_s"] for d in newer]
    for params in sent:
        assert ("fq", "updatedDate_dt:[2025-07-23T13:02:30Z TO *]") in params


def test_ort_documents_use_unique_identifier_and_query_option() -> None:
    docs = ort_docs()
    q = "schema_s:(nationalReport7 nationalTarget7 nationalTarget7Mapping focalPoint)"
    fqs = ["_state_s:public", "(*:* NOT version_s:*)"]
    with ReplayServer() as server:
        serve_pages(server, docs, 2, q, fqs)
        items = run(CbdIndexHarvester(spec(server, query=q, rows=2), POLICY))
    assert [r.native_id for r in records(items)] == [d["uniqueIdentifier_s"] for d in docs]
    assert all(r.datestamp is None for r in records(items))  # the examples carry no updatedDate_dt


def test_document_without_identifier_is_a_record_failure_and_the_rest_kept() -> None:
    docs = meeting_docs()[:3]
    broken = {k: v for k, v in docs[1].items() if k not in ("id", "identifier_s")}
    served = [docs[0], broken, docs[2]]
    with ReplayServer() as server:
        serve_pages(server, served, 10, "schema_s:meeting", MEETING_FQS)
        items = run(CbdIndexHarvester(spec(server, preset="meetings", rows=10), POLICY))
    assert isinstance(items[1], RecordFailure)
    assert [r.native_id for r in records(items)] == [docs[0]["id"], docs[2]["id"]]


def test_empty_page_before_num_found_stops_with_a_note() -> None:
    docs = meeting_docs()
    body = json.dumps({"response": {"numFound": len(docs) + 5, "start": 0, "docs": docs}}).encode()
    empty = json.dumps({"response": {"numFound": len(docs) + 5, "start": len(docs), "docs": []}}).encode()
    with ReplayServer() as server:
        server.route(SELECT, body, headers=JSON_TYPE, times=1)
        server.route(SELECT, empty, headers=JSON_TYPE)
        state = HarvestState()
        items = run(CbdIndexHarvester(spec(server, preset="meetings", rows=100), POLICY), state)
    assert len(records(items)) == len(docs)
    assert state.requests == 2 and state.notes


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body>Maintenance</body></html>",
        b'{"responseHeader": {"status": 0}}',
        b'{"response": {"numFound": "many", "docs": []}}',
        b"",
    ],
    ids=["html", "no-response", "bad-numfound", "empty"],
)
def test_malformed_bodies(body: bytes) -> None:
    with ReplayServer() as server:
        server.route(SELECT, body, headers={"Content-Type": "text/html"})
        with pytest.raises(MalformedResponse):
            run(CbdIndexHarvester(spec(server, preset="meetings"), POLICY))


@pytest.mark.parametrize(
    ("status", "error"), [(503, TransientError), (500, TransientError), (404, ProtocolError)]
)
def test_http_errors(status: int, error: type[Exception]) -> None:
    with ReplayServer() as server:
        server.route(SELECT, b"error", status=status)
        with pytest.raises(error):
            run(CbdIndexHarvester(spec(server, preset="meetings"), POLICY))


def test_presets_and_options() -> None:
    assert PRESETS["notifications"].query == "schema_s:notification"
    assert PRESETS["meetings"].query == "schema_s:meeting"
    assert PRESETS["decisions"].query == "schema_s:decision"
    assert "nationalReport6" in PRESETS["national-reports"].query
    assert "nationalReport7" in PRESETS["national-reports"].query
    for options in ({}, {"preset": "nope"}, {"preset": "meetings", "rows": 0}, {"query": "  "}):
        with pytest.raises(ConfigurationError):
            CbdIndexHarvester(typed_source("x", "cbd-index", "https://api.cbd.int", options), POLICY)
    harvester = build_harvester(
        typed_source("x", "cbd-index", "https://api.cbd.int/", {"preset": "nbsaps"}), POLICY
    )
    assert isinstance(harvester, CbdIndexHarvester)
    assert harvester.select_url == "https://api.cbd.int/api/v2013/index/select"


def test_source_config_accepts_cbd_index_options() -> None:
    config = registered_source(
        id="cbd-notifications",
        protocol="cbd-index",
        url="https://api.cbd.int",
        options={"preset": "notifications"},
    )
    assert config.options.stored() == {"preset": "notifications"}
    registered_source(
        id="q",
        protocol="cbd-index",
        url="https://api.cbd.int",
        options={"query": "schema_s:news", "rows": 50},
    )
    for options in ({"preset": "unknown"}, {"set": "x", "preset": "meetings"}, {}):
        with pytest.raises(ValueError):
            registered_source(id="bad", protocol="cbd-index", url="https://api.cbd.int", options=options)


def test_until_bounds_the_window_and_a_changing_num_found_is_noted() -> None:
    docs = meeting_docs()
    since = datetime(2025, 6, 1, tzinfo=UTC)
    until = datetime(2025, 8, 1, tzinfo=UTC)
    window = [
        d
        for d in docs
        if since <= datetime.fromisoformat(d["updatedDate_dt"].replace("Z", "+00:00")) <= until
    ]
    fqs = [*MEETING_FQS, "updatedDate_dt:[2025-06-01T00:00:00Z TO 2025-08-01T00:00:00Z]"]
    with ReplayServer() as server:
        serve_pages(server, window, 3, "schema_s:meeting", fqs)
        first = json.loads(page(window, 0, 3))
        first["response"]["numFound"] += 1  # the index grew between the first and second page
        server.route(
            f"{SELECT}?{expected_query('schema_s:meeting', fqs, 0, 3)}", json.dumps(first), headers=JSON_TYPE
        )
        state = HarvestState(since=since, until=until)
        items = run(CbdIndexHarvester(spec(server, preset="meetings", rows=3), POLICY), state)
    assert [r.native_id for r in records(items)] == [d["identifier_s"] for d in window]
    assert any("numFound changed" in note for note in state.notes)


def test_cli_add_with_preset_harvest_and_search(tmp_path: Path) -> None:
    """`gkss sources add --preset`, `gkss harvest` and `gkss search` as a user runs them."""
    docs = meeting_docs()
    home = tmp_path / "home"
    env = {**os.environ, "GKSS_HOME": str(home), "GKSS_HTTP_MAX_RETRIES": "0"}

    def gkss(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result

    with ReplayServer() as server:
        server.route(SELECT, page(docs, 0, 100), headers=JSON_TYPE)
        gkss(
            "sources",
            "add",
            "cbd-meetings",
            "--protocol",
            "cbd-index",
            "--url",
            server.url,
            "--preset",
            "meetings",
        )
        listed = json.loads(gkss("sources", "list", "--json").stdout)
        assert listed[0]["options"] == {"preset": "meetings"}
        run_output = gkss("harvest", "cbd-meetings")
        sent = parse_qsl(server.requests_to(SELECT)[0].query)
    assert f"added={len(docs)}" in run_output.stderr
    assert ("q", "schema_s:meeting") in sent and ("fq", "realm_ss:chm") in sent
    found = json.loads(gkss("search", "--json", "--type", "meeting", "--size", "100").stdout)
    assert found["total"] == len(docs)
    assert {r["url"] for r in found["results"]} == {d["url_ss"][0] for d in docs}


def test_unknown_schema_is_recorded_on_the_run_and_the_record_kept() -> None:
    from harvesters.cbd_index import KNOWN_SCHEMA_PREFIXES, KNOWN_SCHEMAS
    from normalizers.cbd_index import _PREFIX_TYPES, SCHEMA_TYPES

    assert set(SCHEMA_TYPES) == KNOWN_SCHEMAS  # the harvester's list is the crosswalk's
    assert tuple(prefix for prefix, _ in _PREFIX_TYPES) == KNOWN_SCHEMA_PREFIXES
    docs = meeting_docs()[:3]
    served = [docs[0], {**docs[1], "schema_s": "bbiRequest"}, {**docs[2], "schema_s": "bbiRequest"}]
    with ReplayServer() as server:
        serve_pages(server, served, 10, "schema_s:meeting", MEETING_FQS)
        state = HarvestState()
        items = run(CbdIndexHarvester(spec(server, preset="meetings", rows=10), POLICY), state)
    assert len(records(items)) == 3
    assert [n for n in state.notes if "bbiRequest" in n] == [
        "cbd-meetings: unknown schema_s 'bbiRequest', stored with type 'other'"
    ]
