"""Onboarding over real HTTP: probe an OAI-PMH endpoint, an HTML page with feed autodiscovery and
sitemaps; dry-run a source and get Resources with quality scores while nothing is saved."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.support.http_replay import ReplayServer
from tests.support.hubs import HubProcess
from tests.support.oai_replay import OaiReplayServer, load_real_records

FIXTURES = Path(__file__).parents[1] / "fixtures"
PAGE = FIXTURES / "registry" / "Portfolio_Niels_Lubberman.html"  # links its feed with rel=alternate
SITEMAP = FIXTURES / "registry" / "sitemap.xml"
SITEMAP_INDEX = FIXTURES / "registry" / "sitemap.index.xml"
FEED = FIXTURES / "feeds" / "rss_2.0_dbengines.xml"
RSS1 = FIXTURES / "feeds" / "rss_1.0_spec_1.xml"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with HubProcess(tmp_path_factory.mktemp("onboarding"), "onboarding") as served:
        yield served.serve()


def probe_cli(hub: HubProcess, url: str) -> tuple[int, dict[str, object]]:
    result = hub.cli("sources", "probe", url, "--json", check=False)
    return result.returncode, json.loads(result.stdout)


def test_probe_identifies_a_real_oai_pmh_endpoint(hub: HubProcess) -> None:
    records = load_real_records()
    with OaiReplayServer(records, page_size=10, repository_name="Real records replayed") as oai:
        code, report = probe_cli(hub, oai.url + "?verb=Identify")
        api = httpx.post(hub.url + "/api/admin/sources/probe", json={"url": oai.url}, timeout=60).json()
    assert code == 0
    for found in (report, api):
        assert found["protocol"] == "oai-pmh" and found["source_url"] == oai.url
        details = found["details"]
        assert isinstance(details, dict)
        assert details["repositoryName"] == "Real records replayed"
        assert details["granularity"] == "YYYY-MM-DDThh:mm:ssZ" and details["deletedRecord"] == "persistent"
        assert details["metadata_formats"] == ["oai_dc"]
        assert details["sets"] == sorted({s for r in records for s in r.sets})
        assert "--metadata-prefix oai_dc" in str(found["command"])


def test_probe_follows_feed_autodiscovery_from_an_html_page(hub: HubProcess) -> None:
    with ReplayServer() as site:
        # The page's absolute feed link is pointed at this server, so nothing leaves 127.0.0.1.
        page = PAGE.read_bytes().replace(b"http://nielslubberman.nl", site.url.encode())
        site.route("/", page, headers={"Content-Type": "text/html; charset=utf-8"})
        site.route("/drupal/?q=rss.xml", FEED.read_bytes(), headers={"Content-Type": "application/rss+xml"})
        code, report = probe_cli(hub, site.url + "/")
    assert code == 0
    assert report["protocol"] == "feed" and report["source_url"] == site.url + "/drupal/?q=rss.xml"
    details = report["details"]
    assert isinstance(details, dict)
    assert details["discovered_feeds"] == [site.url + "/drupal/?q=rss.xml"]
    assert details["discovered_from"] == site.url + "/"
    assert details["feed_type"] == "rss20"
    assert details["entries"] == FEED.read_text().count("<item>")
    assert details["title"] == re.search(r"<title>([^<]*)</title>", FEED.read_text()).group(1)  # type: ignore[union-attr]


def test_probe_identifies_sitemaps_and_says_when_nothing_fits(hub: HubProcess) -> None:
    with ReplayServer() as site:
        site.route("/sitemap.xml", SITEMAP.read_bytes(), headers={"Content-Type": "application/xml"})
        site.route("/index.xml", SITEMAP_INDEX.read_bytes(), headers={"Content-Type": "application/xml"})
        site.route("/nothing", b"plain words", headers={"Content-Type": "text/plain"})
        _, urlset = probe_cli(hub, site.url + "/sitemap.xml")
        _, index = probe_cli(hub, site.url + "/index.xml")
        code, nothing = probe_cli(hub, site.url + "/nothing")
    assert urlset["protocol"] == "sitemap" and urlset["details"] == {
        "kind": "urlset",
        "urls": len(etree.parse(str(SITEMAP)).findall("{http://www.sitemaps.org/schemas/sitemap/0.9}url")),
        "sitemaps": 0,
    }
    assert index["protocol"] == "sitemap" and index["details"] == {
        "kind": "index",
        "urls": 0,
        "sitemaps": SITEMAP_INDEX.read_text().count("<sitemap>"),
    }
    assert code == 1 and nothing["protocol"] is None and nothing["command"] is None
    assert nothing["notes"], "a probe that finds nothing says what it tried"


def test_dry_run_scores_the_first_records_and_saves_nothing(hub: HubProcess) -> None:
    records = [r for r in load_real_records() if r.identifier and not r.deleted and r.metadata]
    with OaiReplayServer(records, page_size=10) as oai:
        body = {"protocol": "oai-pmh", "url": oai.url, "options": {"metadata_prefix": "oai_dc"}, "limit": 4}
        body["check_links"] = False  # these records link to the open web; link checks are tested below
        report = httpx.post(hub.url + "/api/admin/sources/dry-run", json=body, timeout=120).json()
        list_records = oai.requests_for("ListRecords")
    assert report["status"] == "succeeded" and report["saved"] is False
    assert [r["resource"]["native_id"] for r in report["resources"]] == [r.identifier for r in records[:4]]
    assert len(list_records) == 1, "a dry run stops after the records it needs"
    for item in report["resources"]:
        quality = item["quality"]
        assert 0 <= quality["score"] <= 100
        has_description = b"<dc:description" in next(
            r.metadata for r in records if r.identifier == item["resource"]["native_id"] and r.metadata
        )
        assert ("description" in quality["missing"]) is not has_description
    assert report["quality"]["records"] == 4
    # Nothing was saved: no source, no run, nothing searchable.
    assert json.loads(hub.cli("sources", "list", "--json").stdout) == []
    assert httpx.get(hub.url + "/api/search", params={"size": 1}).json()["total"] == 0


def test_dry_run_reports_broken_links_from_the_cli(hub: HubProcess) -> None:
    with ReplayServer() as site:
        # The RSS 1.0 spec example's links are pointed at this server: one article exists, one does not.
        feed = RSS1.read_bytes().replace(b"http://xml.com", site.url.encode())
        site.route("/news.rss", feed, headers={"Content-Type": "application/rss+xml"})
        site.route("/pub/2000/08/09/xslt/xslt.html", b"<html><title>ok</title></html>")
        result = hub.cli(
            "sources", "dry-run", "--protocol", "feed", "--url", site.url + "/news.rss", "--json"
        )
    report = json.loads(result.stdout)
    links = {item["resource"]["url"]: item["quality"]["broken_link"] for item in report["resources"]}
    assert links == {
        site.url + "/pub/2000/08/09/xslt/xslt.html": None,
        site.url + "/pub/2000/08/09/rdfdb/index.html": "HTTP 404",
    }
    assert report["quality"]["broken_links"] == 1
    for item in report["resources"]:  # the spec's items have a title, link and description but no date
        assert "date" in item["quality"]["missing"]
        assert not {"title", "url", "description"} & set(item["quality"]["missing"])
