"""sitemap and scrape harvesters: real Scrapy crawls in a child process against sites on 127.0.0.1.

The sites serve real robots.txt files (crawler-commons test resources) and real pages (an
umweltbundesamt.de article with OpenGraph and Dublin Core meta, an extruct schema.org JSON-LD
sample), see tests/fixtures/web/PROVENANCE.tsv. Expectations are read from those files here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import html as lxml_html

from harvesters.base import HarvestItem, HarvestState, SourceSpec
from harvesters.http import HttpPolicy
from harvesters.netguard import UnsafeDestination, check_url
from harvesters.page_metadata import extract_metadata
from harvesters.records import RawRecord
from harvesters.registry import build_harvester, typed_source
from harvesters.scrapy_harvest import ScrapeHarvester, SitemapHarvester
from normalizers.dispatch import normalize
from registry.sources import registered_source
from tests.support.counting_server import CountingServer
from tests.support.http_replay import ReplayServer

WEB = Path(__file__).resolve().parents[1] / "fixtures" / "web"
HTML = {"Content-Type": "text/html; charset=utf-8"}
POLICY = HttpPolicy(read_timeout=10.0, max_retries=0)
UBA = (WEB / "umweltbundesamt.de-atomkraft.html").read_bytes()
CREATIVE = (WEB / "CreativeWork.001.html").read_bytes()


def sitemap(urls: list[str]) -> bytes:
    entries = "".join(
        f"<url><loc>{u}</loc><lastmod>2025-01-0{i % 9 + 1}</lastmod></url>" for i, u in enumerate(urls)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def harvest(harvester: SitemapHarvester | ScrapeHarvester) -> tuple[list[HarvestItem], HarvestState]:
    state = HarvestState()
    return list(harvester.harvest(state)), state


def records(items: list[HarvestItem]) -> list[RawRecord]:
    return [i for i in items if isinstance(i, RawRecord)]


def spec(url: str, tmp_path: Path, protocol: str = "sitemap", **options: Any) -> SourceSpec:
    return typed_source("site", protocol, url, {"delay": 0, "cache_dir": str(tmp_path / "cache"), **options})


# RFC 9309 section 5.1 example, group "*": Disallow "*.gif$" and "/example/", Allow "/publications/";
# the longest matching rule wins (section 2.2.2), so "/publications/chart.gif" is allowed.
RFC_ALLOWED = ["/publications/report.html", "/news/2025/biodiversity.html", "/publications/chart.gif", "/"]
RFC_DISALLOWED = ["/example/page.html", "/example/", "/images/map.gif", "/news/logo.gif"]


def test_sitemap_crawl_obeys_robots_txt(tmp_path: Path) -> None:
    robots = (WEB / "rfc9309-example-simple-robots.txt").read_bytes()
    assert b"Disallow: /example/" in robots and b"Disallow: *.gif$" in robots
    with ReplayServer() as server:
        server.route("/robots.txt", robots, headers={"Content-Type": "text/plain"})
        urls = [server.url + p for p in RFC_ALLOWED + RFC_DISALLOWED]
        server.route("/sitemap.xml", sitemap(urls), headers={"Content-Type": "application/xml"})
        for path in RFC_ALLOWED + RFC_DISALLOWED:
            server.route(path, UBA, headers=HTML)
        items, state = harvest(SitemapHarvester(spec(server.url + "/sitemap.xml", tmp_path), POLICY))
        requested = [r.path for r in server.request_log]
    assert not set(requested) & set(RFC_DISALLOWED)
    assert sorted(r.native_id for r in records(items)) == sorted(server.url + p for p in RFC_ALLOWED)
    assert any(f"{len(RFC_DISALLOWED)} requests disallowed by robots.txt" in n for n in state.notes)
    assert state.requests == len(set(requested))


def test_sitemap_is_discovered_through_robots_txt(tmp_path: Path) -> None:
    robots = (WEB / "relative-sitemap-robots.txt").read_bytes()
    disallowed = [
        p.split(b":", 1)[1].strip().decode() for p in robots.splitlines() if p.startswith(b"Disallow:")
    ]
    assert robots.startswith(b"Sitemap: /sitemap.xml") and disallowed
    allowed = ["/about.html", "/news/one.html"]
    blocked = [d + "page.html" for d in disallowed]
    with ReplayServer() as server:
        server.route("/robots.txt", robots, headers={"Content-Type": "text/plain"})
        server.route("/sitemap.xml", sitemap([server.url + p for p in allowed + blocked]), headers={})
        for path in allowed + blocked:
            server.route(path, CREATIVE, headers=HTML)
        items, _ = harvest(SitemapHarvester(spec(server.url, tmp_path), POLICY))
        requested = {r.path for r in server.request_log}
    assert {"/robots.txt", "/sitemap.xml"} <= requested and not requested & set(blocked)
    assert sorted(r.native_id for r in records(items)) == sorted(server.url + p for p in allowed)


@pytest.mark.parametrize("per_host", [1, 2])
def test_crawl_stays_within_its_per_host_budget(tmp_path: Path, per_host: int) -> None:
    pages = [f"/page-{n}.html" for n in range(8)]
    with CountingServer(delay=0.25) as server:
        server.route("/robots.txt", b"User-agent: *\nAllow: /\n", "text/plain")
        server.route("/sitemap.xml", sitemap([server.url + p for p in pages]), "application/xml")
        for path in pages:
            server.route(path, UBA)
        # the instrument sees concurrency: four parallel clients are four requests in flight
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda p: httpx.get(server.url + p, timeout=5), pages[:4]))
        assert server.max_in_flight == 4
        server.max_in_flight = 0
        harvester = SitemapHarvester(spec(server.url + "/sitemap.xml", tmp_path, per_host=per_host), POLICY)
        items, _ = harvest(harvester)
    assert len(records(items)) == len(pages)
    assert server.max_in_flight <= per_host
    assert server.max_in_flight >= 1


def test_ssrf_guard_refuses_the_source_and_every_request_of_the_child(tmp_path: Path) -> None:
    guarded = HttpPolicy(read_timeout=5.0, max_retries=0, check_destination=check_url)
    with ReplayServer() as server:
        server.route("/robots.txt", b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
        server.route("/sitemap.xml", sitemap([server.url + "/a.html"]), headers={})
        server.route("/a.html", UBA, headers=HTML)
        with pytest.raises(UnsafeDestination):
            harvest(SitemapHarvester(spec(server.url + "/sitemap.xml", tmp_path), guarded))
        assert server.request_log == []
        # the child's own downloader middleware: a config that says private networks are refused
        config = SitemapHarvester(spec(server.url + "/sitemap.xml", tmp_path), POLICY).config(HarvestState())
        config["allow_private"] = False
        child = subprocess.run(
            [sys.executable, "-m", "harvesters.scrapy_child"],
            input=json.dumps(config),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert server.request_log == []  # robots.txt and the sitemap were refused before connecting
    lines = [json.loads(line) for line in child.stdout.splitlines() if line.startswith("{")]
    stats = next(line["stats"] for line in lines if "stats" in line)
    assert stats["gkss/refused_by_guard"] >= 1
    assert not any("page" in line for line in lines)


def test_download_maxsize_drops_oversized_pages(tmp_path: Path) -> None:
    small_policy = HttpPolicy(read_timeout=5.0, max_retries=0, max_bytes=len(CREATIVE) + 1000)
    assert len(UBA) > small_policy.max_bytes
    with ReplayServer() as server:
        server.route("/robots.txt", b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
        server.route(
            "/sitemap.xml", sitemap([server.url + "/big.html", server.url + "/small.html"]), headers={}
        )
        server.route("/big.html", UBA, headers=HTML)
        server.route("/small.html", CREATIVE, headers=HTML)
        items, _ = harvest(SitemapHarvester(spec(server.url + "/sitemap.xml", tmp_path), small_policy))
    assert [r.native_id for r in records(items)] == [server.url + "/small.html"]


def test_second_crawl_revalidates_with_conditional_get(tmp_path: Path) -> None:
    with ReplayServer() as server:
        server.route("/robots.txt", b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
        server.route("/sitemap.xml", sitemap([server.url + "/a.html"]), headers={})
        server.route("/a.html", UBA, headers=HTML, etag='"uba-1"')
        first, _ = harvest(SitemapHarvester(spec(server.url + "/sitemap.xml", tmp_path), POLICY))
        second, state = harvest(SitemapHarvester(spec(server.url + "/sitemap.xml", tmp_path), POLICY))
        page_requests = server.requests_to("/a.html")
    assert len(records(first)) == len(records(second)) == 1
    assert records(first)[0].payload != b"" and len(page_requests) == 2
    assert "if-none-match" not in page_requests[0].headers
    assert page_requests[1].headers["if-none-match"] == '"uba-1"'
    assert any("revalidated" in n for n in state.notes)


def test_scrape_follows_links_within_the_site_and_the_allow_patterns(tmp_path: Path) -> None:
    with ReplayServer() as server:
        start = (
            b'<html lang="en"><head><title>Node</title></head><body><a href="/docs/a.html">a</a>'
            b'<a href="/docs/b.html">b</a><a href="/private/c.html">c</a>'
            b'<a href="https://elsewhere.example/x.html">x</a></body></html>'
        )
        server.route(
            "/robots.txt", b"User-agent: *\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}
        )
        server.route("/", start, headers=HTML)
        server.route("/docs/a.html", UBA, headers=HTML)
        server.route("/docs/b.html", CREATIVE, headers=HTML)
        server.route("/private/c.html", UBA, headers=HTML)
        harvester = ScrapeHarvester(spec(server.url + "/", tmp_path, "scrape", allow=["/docs/"]), POLICY)
        items, _ = harvest(harvester)
        requested = {r.path for r in server.request_log}
    assert "/private/c.html" not in requested
    got = sorted(r.native_id for r in records(items))
    assert got == sorted([server.url + "/", server.url + "/docs/a.html", server.url + "/docs/b.html"])


def test_page_metadata_and_crosswalk_from_real_pages(tmp_path: Path) -> None:
    tree = lxml_html.fromstring(UBA)
    og_title = tree.xpath('//meta[@property="og:title"]/@content')[0]
    dc_creator = tree.xpath('//meta[@name="dcterms.creator"]/@content')[0]
    subjects = [s.strip() for s in tree.xpath('//meta[@name="dcterms.subject"]/@content')[0].split(",")]
    description = tree.xpath('//meta[@property="og:description"]/@content')[0]
    ld = json.loads(lxml_html.fromstring(CREATIVE).xpath('//script[@type="application/ld+json"]/text()')[0])
    book = ld["mainEntity"]
    with ReplayServer() as server:
        server.route("/robots.txt", b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
        server.route(
            "/sitemap.xml", sitemap([server.url + "/uba.html", server.url + "/book.html"]), headers={}
        )
        server.route("/uba.html", UBA, headers=HTML)
        server.route("/book.html", CREATIVE, headers=HTML)
        harvester = SitemapHarvester(spec(server.url + "/sitemap.xml", tmp_path, country="DE"), POLICY)
        items, _ = harvest(harvester)
        base = server.url
    by_url = {r.native_id: normalize(r, "sitemap") for r in records(items)}
    uba = by_url[base + "/uba.html"]
    assert uba.title == {"de": " ".join(og_title.split())}  # OpenGraph before Dublin Core and <title>
    assert uba.description == {"de": " ".join(description.split())}
    assert uba.creators == [dc_creator] and uba.subjects == subjects
    assert uba.type == "document" and uba.countries == ["DE"]  # og:type article; the source's country
    assert "155" in uba.regions  # M49 Western Europe, through the country
    book_resource = by_url[base + "/book.html"]
    assert book_resource.title == {"en": book["name"]}  # JSON-LD mainEntity; inLanguage "English"
    assert (
        book_resource.published is not None and book_resource.published.isoformat() == book["datePublished"]
    )
    assert book_resource.publisher == book["publisher"] and book_resource.type == "document"


def test_selectors_come_second_and_fill_what_the_page_does_not_state() -> None:
    page = b'<html><body><h1 class="t">Indicator: Red List Index</h1>'
    page += b'<span id="g">GBF-TARGET-04</span></body></html>'
    meta = extract_metadata(
        page.decode(),
        "https://bip.example/i",
        {"title": "css:h1.t::text", "targets": "xpath://span[@id='g']/text()"},
    )
    assert meta["selected"] == {"title": ["Indicator: Red List Index"], "targets": ["GBF-TARGET-04"]}
    stated = extract_metadata(UBA.decode("utf-8"), "https://x.example/", {"title": "css:h1::text"})
    assert stated["opengraph"]["og:title"] and stated["selected"].get("title")
    assert re.search("Atomkraft", stated["opengraph"]["og:title"][0])


def test_options_and_registration() -> None:
    built = build_harvester(typed_source("s", "scrape", "https://x.org/", {"per_host": 2}), POLICY)
    assert isinstance(built, ScrapeHarvester)
    with pytest.raises(Exception, match="per_host"):
        SitemapHarvester(typed_source("s", "sitemap", "https://x.org/", {"per_host": 3}), POLICY)
    registered_source(
        id="bip", protocol="sitemap", url="https://bipindicators.net/", options={"allow": ["/indicators/"]}
    )
    with pytest.raises(ValueError, match="not understood"):
        registered_source(
            id="bip", protocol="sitemap", url="https://bipindicators.net/", options={"entity_set": "x"}
        )
