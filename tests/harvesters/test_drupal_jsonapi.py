"""drupal-jsonapi harvester and crosswalk against a Bioland node/content collection served page by page.

The collection (tests/fixtures/bioland/node_content_ke.json, see its PROVENANCE.tsv and build script)
is cut into JSON:API pages linked by ``links.next`` as Drupal answers them. Every expectation is read
from that file here, field by field, never from the code under test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from harvesters.base import HarvestItem, HarvestState, SourceSpec
from harvesters.drupal_jsonapi import CONTENT_TYPE, DrupalJsonApiHarvester
from harvesters.errors import ConfigurationError, MalformedResponse
from harvesters.http import HttpPolicy, make_client
from harvesters.records import RawRecord, RecordFailure
from harvesters.registry import build_harvester, typed_source
from normalizers.dispatch import normalize
from normalizers.drupal_jsonapi import normalize_drupal_node
from registry.bioland import bioland_hosts, bioland_sources
from registry.sources import registered_source
from tests.support.http_replay import ReplayServer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "bioland" / "node_content_ke.json"
COLLECTION = "/en/jsonapi/node/content"
JSONAPI = {"Content-Type": "application/vnd.api+json"}
# field_type_placement tids -> hub types, written from cbd-sources.md section 2 (2 News, 3 Event, 12 Document)
TYPES = {2: "news", 3: "event", 12: "document"}
KENYA_REGIONS = [
    "014",
    "202",
    "002",
    "D50FE62D-8A5E-4407-83F8-AFCAAF708EA4",
]  # M49 Eastern Africa..., CBD Africa


def _no_sleep(seconds: float) -> None:
    return None


POLICY = HttpPolicy(connect_timeout=2.0, read_timeout=2.0, total_timeout=20.0, max_retries=0, sleep=_no_sleep)


def collection() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FIXTURE.read_text("utf-8"))
    return document


def content_nodes() -> list[dict[str, Any]]:
    return [n for n in collection()["data"] if n["type"] == "node--content"]


def first_query(limit: int, since: int | None = None) -> list[tuple[str, str]]:
    """The first page request, written from cbd-sources.md section 2 and the module docstring."""
    pairs = [
        ("include", "field_type_placement"),
        ("sort", "changed,drupal_internal__nid"),
        ("page[limit]", str(limit)),
    ]
    if since is not None:
        pairs += [
            ("filter[since][condition][path]", "changed"),
            ("filter[since][condition][operator]", ">="),
            ("filter[since][condition][value]", str(since)),
        ]
    return pairs


def serve(server: ReplayServer, items: list[dict[str, Any]], limit: int, since: int | None = None) -> int:
    """Route every page as Drupal builds it: offset pages, absolute ``links.next``; returns the page count."""
    included = collection()["included"]
    base = first_query(limit, since)
    offsets = list(range(0, max(len(items), 1), limit))
    for number, offset in enumerate(offsets):
        query = base if offset == 0 else [*base, ("page[offset]", str(offset))]
        links: dict[str, Any] = {"self": {"href": f"{server.url}{COLLECTION}?{urlencode(query)}"}}
        if number + 1 < len(offsets):
            next_query = [*base, ("page[offset]", str(offsets[number + 1]))]
            links["next"] = {"href": f"{server.url}{COLLECTION}?{urlencode(next_query)}"}
        body = {"jsonapi": {"version": "1.0"}, "data": items[offset : offset + limit], "included": included}
        body["links"] = links
        server.route(f"{COLLECTION}?{urlencode(query)}", json.dumps(body).encode(), headers=JSONAPI)
    return len(offsets)


def spec(server: ReplayServer, **options: Any) -> SourceSpec:
    return typed_source("bioland-ke", "drupal-jsonapi", server.url, {"country": "KE", **options})


def run(harvester: DrupalJsonApiHarvester, state: HarvestState | None = None) -> list[HarvestItem]:
    with make_client(POLICY) as client:
        harvester._client = client
        return list(harvester.harvest(state or HarvestState()))


def records(items: list[HarvestItem]) -> list[RawRecord]:
    return [item for item in items if isinstance(item, RawRecord)]


def tags_of(node: dict[str, Any]) -> list[str]:
    value = node["attributes"]["field_tags"]
    parts = value if isinstance(value, list) else value.split(",")
    return [p.strip() for p in parts if p.strip()]


def tid_of(node: dict[str, Any]) -> int:
    ref = node["relationships"]["field_type_placement"]["data"]["id"]
    term = next(t for t in collection()["included"] if t["id"] == ref)
    tid: int = term["attributes"]["drupal_internal__tid"]
    return tid


def test_links_next_paging_yields_every_node_once_and_records_the_unknown_type() -> None:
    items_served = collection()["data"]
    nodes = content_nodes()
    assert len(items_served) == len(nodes) + 1  # the node--page at the end
    with ReplayServer() as server:
        pages = serve(server, items_served, 5)
        state = HarvestState()
        items = run(DrupalJsonApiHarvester(spec(server, page_size=5), POLICY), state)
        sent = [r.query for r in server.requests_to(COLLECTION)]
    assert pages == 6 and len(sent) == pages
    assert [r.native_id for r in records(items)] == [n["id"] for n in nodes]
    failures = [i for i in items if isinstance(i, RecordFailure)]
    assert len(failures) == 1 and failures[0].severity == "warning" and "node--page" in failures[0].message
    assert any("node--page" in note for note in state.notes)
    for record, node in zip(records(items), nodes, strict=True):
        assert record.content_type == CONTENT_TYPE
        changed = datetime.fromisoformat(node["attributes"]["changed"])
        assert record.datestamp == changed


def test_nodes_crosswalk_field_by_field() -> None:
    nodes = content_nodes()
    with ReplayServer() as server:
        serve(server, collection()["data"], 50)
        items = run(DrupalJsonApiHarvester(spec(server, title="Kenya CHM"), POLICY))
        site = server.url
    resources = [normalize(r, "drupal-jsonapi") for r in records(items)]
    assert len(resources) == len(nodes)
    seen_types: set[str] = set()
    for resource, node in zip(resources, nodes, strict=True):
        attributes = node["attributes"]
        language = attributes["langcode"]
        assert resource.title == {language: " ".join(attributes["title"].split())}  # whitespace folded
        assert resource.url == f"{site}/en{attributes['path']['alias']}"
        assert resource.type == TYPES[tid_of(node)]
        seen_types.add(resource.type)
        start = attributes["field_start_date"] if resource.type == "event" else attributes["created"]
        assert resource.published == datetime.fromisoformat(start).date()
        assert resource.modified == datetime.fromisoformat(attributes["changed"]).astimezone(UTC)
        tags = tags_of(node)
        assert resource.gbf_targets == sorted({t for t in tags if t.startswith("GBF-TARGET-")})
        assert resource.subjects == [t for t in tags if not t.startswith("GBF-")]
        assert resource.countries == ["KE"]  # a node names no country: the site's own
        assert resource.regions == KENYA_REGIONS
        assert resource.publisher == "Kenya CHM"
        assert resource.languages == [language]
        text = re.sub(r"<[^>]+>", "", attributes["body"]["processed"])
        assert resource.description == {language: " ".join(text.split())}
    assert seen_types == {"news", "event", "document"}
    assert any(r.title.get("fr") for r in resources)  # the translated notifications
    assert sum(1 for r in resources if r.gbf_targets) >= 5
    assert isinstance(nodes[2]["attributes"]["field_tags"], list)  # the changed shape is read too
    assert resources[2].subjects or resources[2].gbf_targets


def test_incremental_run_sends_a_changed_filter_in_unix_seconds() -> None:
    since = datetime(2025, 3, 1, tzinfo=UTC)
    newer = [n for n in content_nodes() if datetime.fromisoformat(n["attributes"]["changed"]) >= since]
    assert 0 < len(newer) < len(content_nodes())
    with ReplayServer() as server:
        serve(server, newer, 5, since=int(since.timestamp()))
        items = run(DrupalJsonApiHarvester(spec(server, page_size=5), POLICY), HarvestState(since=since))
        sent = [dict(parse_qsl(r.query)) for r in server.requests_to(COLLECTION)]
    assert [r.native_id for r in records(items)] == [n["id"] for n in newer]
    assert all(p["filter[since][condition][value]"] == str(int(since.timestamp())) for p in sent)


def test_flat_jsonapi_include_form_is_read_too() -> None:
    node = content_nodes()[0]
    term = next(
        t
        for t in collection()["included"]
        if t["id"] == node["relationships"]["field_type_placement"]["data"]["id"]
    )
    flat = {"type": node["type"], "id": node["id"], **node["attributes"]}
    flat["field_type_placement"] = {"type": term["type"], "id": term["id"], **term["attributes"]}
    raw = RawRecord(
        "bioland-ke",
        node["id"],
        CONTENT_TYPE,
        json.dumps({"node": flat, "context": {"country": "ke"}}).encode(),
    )
    resource = normalize_drupal_node(raw)
    assert resource.type == TYPES[tid_of(node)]
    assert resource.countries == ["KE"]


@pytest.mark.parametrize(
    "body",
    [b"<html>maintenance</html>", b'{"jsonapi": {}}', b'{"errors": [{"status": "403"}]}', b"[]"],
    ids=["html", "no-data", "errors", "array"],
)
def test_malformed_documents_fail_the_run(body: bytes) -> None:
    with ReplayServer() as server:
        server.route(COLLECTION, body, headers=JSONAPI)
        with pytest.raises(MalformedResponse):
            run(DrupalJsonApiHarvester(spec(server), POLICY))


def test_next_link_to_another_host_or_back_to_itself_stops_with_a_note() -> None:
    nodes = content_nodes()[:2]
    with ReplayServer() as server:
        body = {
            "data": nodes,
            "links": {"next": {"href": "https://elsewhere.example/en/jsonapi/node/content"}},
        }
        server.route(COLLECTION, json.dumps(body).encode(), headers=JSONAPI, times=1)
        loop = {"data": nodes, "links": {"next": f"{server.url}{COLLECTION}?{urlencode(first_query(50))}"}}
        server.route(COLLECTION, json.dumps(loop).encode(), headers=JSONAPI)
        first = HarvestState()
        assert len(records(run(DrupalJsonApiHarvester(spec(server), POLICY), first))) == 2
        second = HarvestState()
        assert len(records(run(DrupalJsonApiHarvester(spec(server), POLICY), second))) == 2
    assert any("leaves the site" in n for n in first.notes)
    assert any("paging stopped" in n for n in second.notes)


def test_options_are_checked() -> None:
    with pytest.raises(ConfigurationError):
        DrupalJsonApiHarvester(
            typed_source("b", "drupal-jsonapi", "https://x.org", {"page_size": 500}), POLICY
        )
    with pytest.raises(ConfigurationError):
        DrupalJsonApiHarvester(
            typed_source("b", "drupal-jsonapi", "https://x.org", {"locale": "../x"}), POLICY
        )
    built = build_harvester(typed_source("b", "drupal-jsonapi", "https://x.org", {"locale": "fr"}), POLICY)
    assert isinstance(built, DrupalJsonApiHarvester)
    with pytest.raises(ValueError, match="country"):
        registered_source(id="b", protocol="drupal-jsonapi", url="https://x.org", options={"country": "ZZ"})
    with pytest.raises(ValueError, match="regions"):
        registered_source(
            id="b", protocol="drupal-jsonapi", url="https://x.org", options={"regions": ["mars"]}
        )
    with pytest.raises(ValueError, match="not understood"):
        registered_source(id="b", protocol="drupal-jsonapi", url="https://x.org", options={"preset": "x"})


def test_bioland_hosts_become_199_sources_attached_to_their_country_and_region() -> None:
    listed = json.loads(
        (FIXTURE.parents[2].parent / "registry" / "data" / "bioland2_national_chm_hosts.json").read_text()
    )
    hosts = listed["hosts"]
    sites = json.loads(
        (FIXTURE.parents[2].parent / "registry" / "data" / "bioland_multisite_sites_config.json").read_text()
    )["sites"]
    assert len(hosts) == 199 and list(bioland_hosts()) == hosts
    configs = bioland_sources()
    assert [c.url for c in configs] == [f"https://{h}" for h in hosts]
    assert len({c.id for c in configs}) == 199
    for config, host in zip(configs, hosts, strict=True):
        code = host.split(".")[0]
        assert config.protocol == "drupal-jsonapi"
        assert config.options.stored()["locale"] == sites.get(code, {}).get("locale", "en")
        if code == "acb":
            assert config.options.stored()["regions"] == ["035"] and "country" not in config.options.stored()
        else:
            assert config.options.stored()["country"] == code.upper()
    kenya = next(c for c in configs if c.id == "bioland-ke")
    assert kenya.options.stored()["title"].startswith("Kenya")


def test_cli_add_harvest_and_search_a_bioland_site(tmp_path: Path) -> None:
    """`gkss sources add --protocol drupal-jsonapi --option ...`, `gkss harvest`, `gkss search --country`."""
    nodes = content_nodes()
    env = {**os.environ, "GKSS_HOME": str(tmp_path / "home"), "GKSS_HTTP_MAX_RETRIES": "0"}

    def gkss(*args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result

    with ReplayServer() as server:
        serve(server, collection()["data"], 10)
        add = ["sources", "add", "bioland-ke", "--protocol", "drupal-jsonapi", "--url", server.url]
        gkss(*add, "--option", "country=ke", "--option", "page_size=10")
        output = gkss("harvest", "bioland-ke").stderr
    assert f"added={len(nodes)}" in output and "failed=1" in output  # the node--page, recorded
    found = json.loads(gkss("search", "--json", "--country", "KE", "--size", "100").stdout)
    assert found["total"] == len(nodes)
    with_target = [n for n in nodes if any(t.startswith("GBF-TARGET-03") for t in tags_of(n))]
    targeted = json.loads(gkss("search", "--json", "--target", "3", "--size", "100").stdout)
    assert targeted["total"] == len(with_target) > 0
