"""odata harvester and crosswalk against InforMEA entity sets served as OData v2 JSON pages.

The entities (tests/fixtures/informea, built from real CBD index documents with the InforMEA mapping,
see PROVENANCE.tsv) are served with ``$top``/``$skip`` paging, or server-driven ``__next`` links.
Expectations are read from those files here, field by field.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pycountry
import pytest

from harvesters.base import HarvestItem, HarvestState, SourceSpec
from harvesters.dates import parse_odata_date
from harvesters.errors import ConfigurationError, MalformedResponse
from harvesters.http import HttpPolicy, make_client
from harvesters.odata import CONTENT_TYPE, ODataHarvester
from harvesters.records import RawRecord, RecordFailure
from harvesters.registry import typed_source
from normalizers.dispatch import normalize
from normalizers.errors import InvalidRecord
from registry.sources import registered_source
from tests.support.http_replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "informea"
SERVICE = "/informea.svc"
JSON_TYPE = {"Content-Type": "application/json;charset=utf-8"}
MEETING_EXPAND = "title,description"


def _no_sleep(seconds: float) -> None:
    return None


POLICY = HttpPolicy(connect_timeout=2.0, read_timeout=2.0, total_timeout=20.0, max_retries=0, sleep=_no_sleep)


def entities(name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = json.loads((FIXTURES / name).read_text("utf-8"))
    return items


def ms_date(value: str) -> datetime:
    """``/Date(ms)/`` read independently of the code under test."""
    match = re.fullmatch(r"/Date\((-?\d+)\)/", value)
    assert match
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(match.group(1)))


def newest_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda e: ms_date(e["updated"]), reverse=True)


def page_query(entity_set: str, expand: str, top: int, skip: int) -> str:
    pairs = [("$format", "json")]
    if expand:
        pairs.append(("$expand", expand))
    pairs += [("$orderby", "updated desc"), ("$top", str(top)), ("$skip", str(skip))]
    return f"{SERVICE}/{entity_set}?{urlencode(pairs)}"


def serve_skip_pages(
    server: ReplayServer, entity_set: str, expand: str, items: list[dict[str, Any]], top: int
) -> None:
    for skip in range(0, len(items) + 1, top):
        body = {"d": {"results": items[skip : skip + top]}}
        server.route(page_query(entity_set, expand, top, skip), json.dumps(body).encode(), headers=JSON_TYPE)


def spec(server: ReplayServer, **options: Any) -> SourceSpec:
    return typed_source("informea-cbd", "odata", server.url + SERVICE, options)


def run(harvester: ODataHarvester, state: HarvestState | None = None) -> list[HarvestItem]:
    with make_client(POLICY) as client:
        harvester._client = client
        return list(harvester.harvest(state or HarvestState()))


def records(items: list[HarvestItem]) -> list[RawRecord]:
    return [item for item in items if isinstance(item, RawRecord)]


def titles_of(entity: dict[str, Any]) -> dict[str, str]:
    value = entity["title"]
    items = value["results"] if isinstance(value, dict) else value
    return {t["language"]: " ".join(t["value"].split()) for t in items}


def iso2(code: str) -> str:
    if len(code) == 3:
        return str(pycountry.countries.get(alpha_3=code).alpha_2)
    return code


def test_skip_paging_reads_every_meeting_and_maps_it_field_by_field() -> None:
    items = newest_first(entities("meetings.json"))
    top = 4
    with ReplayServer() as server:
        serve_skip_pages(server, "Meetings", MEETING_EXPAND, items, top)
        state = HarvestState()
        got = run(ODataHarvester(spec(server, entity_set="Meetings", page_size=top), POLICY), state)
        skips = [dict(parse_qsl(r.query))["$skip"] for r in server.request_log]
    assert skips == [str(s) for s in range(0, len(items) + 1, top)][: -(-len(items) // top)]
    raws = records(got)
    assert [r.native_id for r in raws] == [e["id"] for e in items]
    assert all(r.content_type == CONTENT_TYPE for r in raws)
    for raw, entity in zip(raws, items, strict=True):
        assert raw.datestamp == ms_date(entity["updated"])
        resource = normalize(raw, "odata")
        assert resource.type == "meeting"
        assert resource.title == titles_of(entity)
        assert resource.url == entity["url"]
        assert resource.published == ms_date(entity["start"]).date()
        assert resource.modified == ms_date(entity["updated"])
        assert resource.publisher == entity["treaty"]
        expected_country = [iso2(entity["country"])] if entity["country"] else []
        assert resource.countries == expected_country
    assert any(len(e["country"]) == 3 for e in items)  # the alpha-3 form is read
    assert any(isinstance(e["title"], list) for e in items)  # the plain-list shape is read


def test_next_links_drive_paging_and_six_language_titles_are_kept() -> None:
    items = entities("country_reports.json")
    with ReplayServer() as server:
        first = {
            "d": {"results": items[:2], "__next": f"{server.url}{SERVICE}/CountryReports?$skiptoken='2'"}
        }
        second = {"d": {"results": items[2:], "__next": f"{SERVICE}/CountryReports?$skiptoken='4'"}}
        server.route(
            page_query("CountryReports", "title,files", 100, 0), json.dumps(first).encode(), headers=JSON_TYPE
        )
        server.route(
            f"{SERVICE}/CountryReports?$skiptoken='2'", json.dumps(second).encode(), headers=JSON_TYPE
        )
        server.route(f"{SERVICE}/CountryReports?$skiptoken='4'", json.dumps({"d": {"results": []}}).encode())
        got = run(ODataHarvester(spec(server, entity_set="CountryReports"), POLICY))
        assert len(server.request_log) == 3
    resources = [normalize(r, "odata") for r in records(got)]
    assert [r.native_id for r in resources] == [e["id"] for e in items]
    for resource, entity in zip(resources, items, strict=True):
        assert resource.type == "national-report"
        assert resource.title == titles_of(entity)
        assert set(resource.title) == {"en", "ar", "es", "fr"}
        assert resource.countries == [entity["country"]]
        assert sorted(resource.languages) == sorted(titles_of(entity))


def test_a_next_link_back_to_a_page_already_read_stops_the_paging_with_a_note() -> None:
    items = entities("country_reports.json")
    with ReplayServer() as server:
        again = f"{SERVICE}/CountryReports?$skiptoken='2'"
        first = {"d": {"results": items[:2], "__next": again}}
        looping = {"d": {"results": items[2:], "__next": again}}  # its next page is itself
        server.route(
            page_query("CountryReports", "title,files", 100, 0), json.dumps(first).encode(), headers=JSON_TYPE
        )
        server.route(again, json.dumps(looping).encode(), headers=JSON_TYPE)
        state = HarvestState()
        got = run(ODataHarvester(spec(server, entity_set="CountryReports"), POLICY), state)
        assert len(server.request_log) == 2, "each page is asked for once"
    assert [r.native_id for r in records(got)] == [e["id"] for e in items]
    assert any("already read (a loop)" in note for note in state.notes)


def test_a_server_ignoring_skip_stops_the_paging_with_a_note() -> None:
    items = newest_first(entities("meetings.json"))[:3]
    with ReplayServer() as server:
        page = json.dumps({"d": {"results": items}}).encode()
        for skip in (0, 3, 6):  # the same full page whatever $skip asks for
            server.route(page_query("Meetings", MEETING_EXPAND, 3, skip), page, headers=JSON_TYPE)
        state = HarvestState()
        got = run(ODataHarvester(spec(server, entity_set="Meetings", page_size=3), POLICY), state)
        assert len(server.request_log) == 2
    assert [r.native_id for r in records(got)] == [str(e["id"]) for e in items]
    assert any("brought no new entity (loop)" in note for note in state.notes)


def test_incremental_run_stops_at_the_first_entity_before_the_window() -> None:
    items = newest_first(entities("meetings.json"))
    since = ms_date(items[5]["updated"])
    inside = [e for e in items if ms_date(e["updated"]) >= since]
    assert 0 < len(inside) < len(items)
    with ReplayServer() as server:
        serve_skip_pages(server, "Meetings", MEETING_EXPAND, items, 4)
        state = HarvestState(since=since)
        got = run(ODataHarvester(spec(server, entity_set="Meetings", page_size=4), POLICY), state)
        pages = len(server.request_log)
    assert [r.native_id for r in records(got)] == [e["id"] for e in inside]
    assert pages == len(inside) // 4 + 1 < -(-len(items) // 4)
    assert any("older than the window" in n for n in state.notes)


def test_v1_array_answer_and_an_unknown_entity_set_are_read() -> None:
    items = entities("country_reports.json")
    with ReplayServer() as server:
        server.route(f"{SERVICE}/Treaties", json.dumps({"d": items}).encode(), headers=JSON_TYPE)
        state = HarvestState()
        got = run(ODataHarvester(spec(server, entity_set="Treaties", page_size=10), POLICY), state)
    resources = [normalize(r, "odata") for r in records(got)]
    assert len(resources) == len(items) and {r.type for r in resources} == {"other"}
    assert any("'Treaties' is not one the crosswalk knows" in n for n in state.notes)


def test_changed_shapes_are_recorded_not_fatal() -> None:
    good = entities("country_reports.json")[0]
    deferred = {**good, "id": "deferred-1", "title": {"__deferred": {"uri": "x/title"}}}
    no_id = {key: value for key, value in good.items() if key != "id"}
    with ReplayServer() as server:
        body = {"d": {"results": [good, deferred, no_id, "not-an-object"]}}
        server.route(f"{SERVICE}/CountryReports", json.dumps(body).encode(), headers=JSON_TYPE)
        got = run(ODataHarvester(spec(server, entity_set="CountryReports"), POLICY))
    failures = [i for i in got if isinstance(i, RecordFailure)]
    assert len(failures) == 2
    raws = records(got)
    assert [r.native_id for r in raws] == [good["id"], "deferred-1"]
    with pytest.raises(InvalidRecord, match="deferred"):
        normalize(raws[1], "odata")


@pytest.mark.parametrize(
    "body", [b"<html/>", b'{"d": {"count": 3}}', b'{"error": {"code": "", "message": "bad"}}', b"[1]"]
)
def test_malformed_answers_fail_the_run(body: bytes) -> None:
    with ReplayServer() as server:
        server.route(f"{SERVICE}/Meetings", body, headers=JSON_TYPE)
        with pytest.raises(MalformedResponse):
            run(ODataHarvester(spec(server, entity_set="Meetings"), POLICY))


def test_dates_and_options() -> None:
    assert parse_odata_date("/Date(0)/") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_odata_date("/Date(1700000000000+0100)/") == datetime.fromtimestamp(1_700_000_000, UTC)
    assert parse_odata_date("2024-05-01T10:00:00Z") == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert parse_odata_date("/Date(x)/") is None
    with pytest.raises(ConfigurationError):
        ODataHarvester(typed_source("o", "odata", "https://x.org/s.svc", {}), POLICY)
    with pytest.raises(ConfigurationError):
        ODataHarvester(typed_source("o", "odata", "https://x.org/s.svc", {"entity_set": "A/../B"}), POLICY)
    with pytest.raises(ValueError, match="entity_set"):
        registered_source(id="o", protocol="odata", url="https://x.org/s.svc", options={})
    config = registered_source(
        id="o",
        protocol="odata",
        url="https://x.org/s.svc",
        options={"entity_set": "Decisions", "filter": "treaty eq 'cbd'"},
    )
    harvester = ODataHarvester(config, POLICY)
    params = dict(parse_qsl(harvester.page_url(0).split("?", 1)[1]))
    assert params["$filter"] == "treaty eq 'cbd'"
    assert params["$expand"] == "title,longTitle,summary,keywords,content,files"
