"""FeedHarvester + feed-entry crosswalk against real RSS/Atom/JSON Feed payloads served over local HTTP."""

from __future__ import annotations

import email.utils
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import httpx
import pytest
from lxml import etree
from lxml import html as lxml_html

from harvesters.base import HarvestItem, HarvestState
from harvesters.errors import (
    ConfigurationError,
    HarvestError,
    MalformedResponse,
    ProtocolError,
    ResponseTooLarge,
    TransientError,
)
from harvesters.feed import CONTENT_TYPE, FeedHarvester
from harvesters.http import HttpPolicy, make_client
from harvesters.records import RawRecord, RecordFailure
from harvesters.registry import typed_source
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.feed_entry import normalize_feed_entry
from normalizers.resource import Resource
from tests.support.http_replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "testdata"
ATOM10 = "http://www.w3.org/2005/Atom"
ATOM03 = "http://purl.org/atom/ns#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RSS1_NAMESPACES = ("http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/")
DC = "http://purl.org/dc/elements/1.1/"
XML_TYPE = {"Content-Type": "application/xml; charset=utf-8"}


def _no_sleep(seconds: float) -> None:
    return None


POLICY = HttpPolicy(connect_timeout=2.0, read_timeout=2.0, total_timeout=20.0, max_retries=1, sleep=_no_sleep)


# --- independent expectations, read with lxml / json -------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What one entry says, read straight from the document."""

    title: str
    link: str | None
    ident: str | None
    when: datetime | None


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


def html_text(markup: str) -> str:
    if not markup.strip():
        return ""
    return squash(lxml_html.fragment_fromstring(markup, create_parent="div").text_content())


def parse_date(value: str | None) -> datetime | None:
    if not value or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value.strip())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _resolved(element: etree._Element | None, value: str | None, url: str) -> str | None:
    if element is None or not value or not value.strip():
        return None
    return urljoin(element.base or url, value.strip())


def _atom_text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    kind = (element.get("type") or "text").lower()
    text = "".join(str(piece) for piece in element.itertext())
    if ("html" in kind and kind != "xhtml") or element.get("mode") == "escaped":
        return html_text(text)
    return squash(text)


def _atom_link(entry: etree._Element, ns: str, url: str) -> str | None:
    for link in entry.findall(f"{{{ns}}}link"):
        rel = link.get("rel") or "alternate"
        kind = link.get("type") or "text/html"
        if rel == "alternate" and kind in ("text/html", "application/xhtml+xml") and link.get("href"):
            return _resolved(link, link.get("href"), url)
    return None


def expected_xml(body: bytes, url: str) -> tuple[str, list[Expected]] | None:
    """(format, entries) of an RSS/RDF/Atom document read with lxml; None when it is none of those."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(body, parser, base_url=url)
    out: list[Expected] = []
    if root.tag == "rss":
        version = root.get("version", "")
        for item in root.findall("channel/item"):
            link = item.find("link")
            when = item.findtext("pubDate") or item.findtext(f"{{{DC}}}date")
            guid = item.find("guid")
            ident = squash(guid.text) if guid is not None and guid.text else None
            if ident and guid is not None and guid.get("isPermaLink") != "false":
                ident = _resolved(guid, ident, url)  # a permalink guid is a URL
            out.append(
                Expected(
                    squash(item.findtext("title")),
                    _resolved(link, link.text if link is not None else None, url),
                    ident,
                    parse_date(when),
                )
            )
        return "rss" + version.replace(".", ""), out
    if root.tag == f"{{{RDF}}}RDF":
        for ns in RSS1_NAMESPACES:
            for item in root.findall(f"{{{ns}}}item"):
                link = item.find(f"{{{ns}}}link")
                ident = item.get(f"{{{RDF}}}about")
                when = parse_date(item.findtext(f"{{{DC}}}date"))
                out.append(
                    Expected(
                        squash(item.findtext(f"{{{ns}}}title")),
                        _resolved(link, link.text if link is not None else None, url),
                        ident,
                        when,
                    )
                )
        return "rss10" if root.find(f"{{{RSS1_NAMESPACES[0]}}}channel") is not None else "rss090", out
    if root.tag in (f"{{{ATOM10}}}feed", f"{{{ATOM03}}}feed"):
        ns = ATOM10 if root.tag == f"{{{ATOM10}}}feed" else ATOM03
        dates = ("updated", "published") if ns == ATOM10 else ("modified", "issued")
        for entry in root.findall(f"{{{ns}}}entry"):
            id_element = entry.find(f"{{{ns}}}id")
            ident = _resolved(id_element, id_element.text if id_element is not None else None, url)
            when = next(
                (parse_date(entry.findtext(f"{{{ns}}}{d}")) for d in dates if entry.findtext(f"{{{ns}}}{d}")),
                None,
            )
            out.append(
                Expected(_atom_text(entry.find(f"{{{ns}}}title")), _atom_link(entry, ns, url), ident, when)
            )
        return ("atom10" if ns == ATOM10 else "atom03"), out
    return None


def expected_json(body: bytes, url: str) -> list[Expected]:
    doc = json.loads(body)
    base = urljoin(url, doc["home_page_url"]) if doc.get("home_page_url") else url
    out = []
    for item in doc["items"]:
        link = urljoin(base, item["url"]) if item.get("url") else None
        when = parse_date(item.get("date_modified")) or parse_date(item.get("date_published"))
        out.append(Expected(squash(item.get("title")), link, str(item["id"]) if "id" in item else None, when))
    return out


def title_of(resource: Resource) -> str:
    return next(iter(resource.title.values()), "")


def is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --- fixtures and helpers ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with make_client(POLICY) as shared:
        yield shared


def harvest(
    url: str, client: httpx.Client | None, state: HarvestState | None = None, policy: HttpPolicy = POLICY
) -> tuple[list[HarvestItem], HarvestState]:
    state = state if state is not None else HarvestState()
    items = list(FeedHarvester(typed_source("src", "feed", url), policy, client).harvest(state))
    return items, state


def check_entries(items: list[HarvestItem], expected: list[Expected]) -> list[Resource]:
    """Every entry yields one item, in order; entries with a title or link become matching Resources."""
    assert len(items) == len(expected)
    resources = []
    for item, exp in zip(items, expected, strict=True):
        if not (exp.title or exp.link or exp.ident):
            assert isinstance(item, RecordFailure), exp
            continue
        assert isinstance(item, RawRecord), item
        assert item.content_type == CONTENT_TYPE
        assert item.native_id == (exp.ident or exp.link)
        assert item.datestamp == exp.when
        if not (exp.title or exp.link):
            continue
        resource = normalize_feed_entry(item)
        assert title_of(resource) == exp.title
        if exp.link:
            assert resource.url == exp.link
        resources.append(resource)
    return resources


# --- formats -------------------------------------------------------------------------------------

XML_FIXTURES = [
    "RSSWithComments.xml",
    "rss_2.0_relurl_1.xml",
    "rss_1.0_spec_1.xml",
    "rss_1.0_debian.xml",
    "rss_0.91_spec_1.xml",
    "rss_0.92_spec_1.xml",
    "atom_relative.xml",
    "atom_xml_base.xml",
    "atom_example_2.xml",
    "pet_atom.xml",
    "entry_link_multiple.xml",
    "http_content_language_entry_title_inherit_2.xml",
]


@pytest.mark.parametrize("name", XML_FIXTURES)
def test_rss_and_atom_entries_match_the_document(
    name: str, server: ReplayServer, client: httpx.Client
) -> None:
    body = (FIXTURES / name).read_bytes()
    path = f"/formats/{name}"
    server.route(path, body, headers=XML_TYPE)
    url = server.url + path
    expected = expected_xml(body, url)
    assert expected is not None
    fmt, entries = expected
    items, _ = harvest(url, client)
    resources = check_entries(items, entries)
    assert len(resources) == sum(1 for e in entries if e.title or e.link)
    for item in items:
        if isinstance(item, RawRecord):
            assert json.loads(item.payload)["feed"]["format"].startswith(fmt[:6])


def test_rss_092_entries_without_title_link_or_guid_are_record_failures(
    server: ReplayServer, client: httpx.Client
) -> None:
    body = (FIXTURES / "rss_0.92_spec_1.xml").read_bytes()
    server.route("/formats/092", body, headers=XML_TYPE)
    root = etree.fromstring(body)
    bare = [i for i in root.iter("item") if i.find("title") is None and i.find("link") is None]
    items, _ = harvest(server.url + "/formats/092", client)
    failures = [i for i in items if isinstance(i, RecordFailure)]
    assert bare and len(failures) == len(bare)
    assert all("no id, link or title" in f.message and f.source_id == "src" for f in failures)


JSON_FIXTURES = [
    ("v1_simple.json", "application/feed+json"),
    ("v1.1_microblog.json", "application/json"),
    ("jsonfeed_elastic_1.1.json", "application/feed+json; charset=utf-8"),
    ("jsonfeed_spec_1.json", "text/plain"),  # sniffed from the body
]


@pytest.mark.parametrize(("name", "content_type"), JSON_FIXTURES)
def test_json_feed_items_match_the_document(
    name: str, content_type: str, server: ReplayServer, client: httpx.Client
) -> None:
    body = (FIXTURES / name).read_bytes()
    path = f"/json/{name}"
    server.route(path, body, headers={"Content-Type": content_type})
    entries = expected_json(body, server.url + path)
    items, _ = harvest(server.url + path, client)
    resources = check_entries(items, entries)
    version = json.loads(body)["version"].rsplit("/", 1)[-1]
    for item in items:
        assert isinstance(item, RawRecord)
        assert json.loads(item.payload)["feed"]["format"] == "json" + version.replace(".", "")
    untitled = [r for r, e in zip(resources, entries, strict=True) if not e.title]
    assert all(r.display_title() == r.url for r in untitled)


# --- conditional GET -------------------------------------------------------------------------------


def test_conditional_get_sends_validators_back_and_304_yields_nothing(
    server: ReplayServer, client: httpx.Client
) -> None:
    body = (FIXTURES / "atom_example_2.xml").read_bytes()
    etag, modified = '"reg-science-1"', "Wed, 31 Jul 2019 11:54:28 GMT"
    server.route("/cond/atom", body, headers=XML_TYPE, etag=etag, last_modified=modified)
    url = server.url + "/cond/atom"

    first, state = harvest(url, client)
    assert len(first) == len(etree.fromstring(body).findall(f"{{{ATOM10}}}entry"))
    assert (state.etag, state.last_modified, state.not_modified) == (etag, modified, False)
    assert "if-none-match" not in server.requests_to("/cond/atom")[-1].headers

    second, state = harvest(url, client, state)
    sent = server.requests_to("/cond/atom")[-1].headers
    assert (sent["if-none-match"], sent["if-modified-since"]) == (etag, modified)
    assert second == [] and state.not_modified is True
    assert state.statuses.get("304") == 1 and (state.etag, state.last_modified) == (etag, modified)

    server.route("/cond/atom", body, headers=XML_TYPE, etag='"reg-science-2"', last_modified=modified)
    third, state = harvest(url, client, state)
    assert len(third) == len(first) and not state.not_modified and state.etag == '"reg-science-2"'


def test_last_modified_alone_is_kept_and_sent(server: ReplayServer, client: httpx.Client) -> None:
    body = (FIXTURES / "rss_1.0_debian.xml").read_bytes()
    modified = "Tue, 20 Dec 2022 23:28:24 GMT"
    server.route("/cond/rdf", body, headers=XML_TYPE, last_modified=modified)
    _, state = harvest(server.url + "/cond/rdf", client)
    assert state.etag is None and state.last_modified == modified
    items, state = harvest(server.url + "/cond/rdf", client, state)
    sent = server.requests_to("/cond/rdf")[-1].headers
    assert "if-none-match" not in sent and sent["if-modified-since"] == modified
    assert items == [] and state.not_modified


# --- relative links --------------------------------------------------------------------------------


def test_relative_links_resolve_against_the_final_url_after_redirect(client: httpx.Client) -> None:
    body = (FIXTURES / "atom_relative.xml").read_bytes()
    with ReplayServer() as origin, ReplayServer() as mirror:
        mirror.route("/blog/feed.xml", body, headers={"Content-Type": "application/atom+xml"})
        origin.route("/old-feed", status=301, headers={"Location": mirror.url + "/blog/feed.xml"})
        items, _ = harvest(origin.url + "/old-feed", client)
        final = mirror.url + "/blog/feed.xml"
    expected = expected_xml(body, final)
    assert expected is not None
    resources = check_entries(items, expected[1])
    root = etree.fromstring(body)
    href = root.find(f"{{{ATOM10}}}entry/{{{ATOM10}}}link").get("href")  # type: ignore[union-attr]
    assert resources[0].url == urljoin(final, href) != urljoin(origin.url + "/old-feed", href)
    first = items[0]
    assert isinstance(first, RawRecord)
    feed_href = root.find(f"{{{ATOM10}}}link").get("href")  # type: ignore[union-attr]
    assert json.loads(first.payload)["feed"]["link"] == urljoin(final, feed_href)


@pytest.mark.parametrize("keep_home_page", [False, True])
def test_json_feed_relative_item_urls_resolve_against_home_page_else_final_url(
    keep_home_page: bool, client: httpx.Client
) -> None:
    doc = json.loads((FIXTURES / "jsonfeed_spec_1.json").read_bytes())
    home = doc.pop("home_page_url")
    if keep_home_page:
        doc["home_page_url"] = home
    paths = [urlsplit(item["url"]).path.lstrip("/") for item in doc["items"]]
    for item, path in zip(doc["items"], paths, strict=True):
        item["url"] = path  # the same feed, published with relative item URLs
    with ReplayServer() as origin, ReplayServer() as mirror:
        mirror.route("/j/feed.json", json.dumps(doc), headers={"Content-Type": "application/feed+json"})
        origin.route("/feed.json", status=302, headers={"Location": mirror.url + "/j/feed.json"})
        items, _ = harvest(origin.url + "/feed.json", client)
        final = mirror.url + "/j/feed.json"
    base = home if keep_home_page else final
    urls = [normalize_feed_entry(i).url for i in items if isinstance(i, RawRecord)]
    assert urls == [urljoin(base, p) for p in paths]


# --- failures ----------------------------------------------------------------------------------------


def test_bozo_feed_with_entries_is_read_with_a_note(server: ReplayServer, client: httpx.Client) -> None:
    body = (FIXTURES / "rss_2.0_dbengines.xml").read_bytes()  # uses &nbsp; without a DTD
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(body)
    server.route("/bozo/rss", body, headers=XML_TYPE)
    items, state = harvest(server.url + "/bozo/rss", client)
    recovered = etree.fromstring(body, etree.XMLParser(recover=True))
    titles = [squash(item.findtext("title")) for item in recovered.iter("item")]
    assert [title_of(normalize_feed_entry(i)) for i in items if isinstance(i, RawRecord)] == titles
    assert len(state.notes) == 1 and "/bozo/rss" in state.notes[0] and "entity" in state.notes[0]


@pytest.mark.parametrize(
    ("name", "content_type", "needle"),
    [
        ("Event.003.html", "text/html; charset=utf-8", "not a feed"),
        ("feed-sample1.zip", "application/rss+xml", "not a feed"),
        ("invalid.json", "application/json", "invalid JSON"),
    ],
)
def test_not_a_feed_is_malformed(
    name: str, content_type: str, needle: str, server: ReplayServer, client: httpx.Client
) -> None:
    server.route(f"/bad/{name}", (FIXTURES / name).read_bytes(), headers={"Content-Type": content_type})
    with pytest.raises(MalformedResponse, match=needle) as caught:
        harvest(server.url + f"/bad/{name}", client)
    assert f"/bad/{name}" in str(caught.value)


def test_empty_body_is_malformed(server: ReplayServer, client: httpx.Client) -> None:
    server.route("/bad/empty", b"", headers=XML_TYPE)
    with pytest.raises(MalformedResponse, match="empty body"):
        harvest(server.url + "/bad/empty", client)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransientError),
        (502, TransientError),
        (429, TransientError),
        (404, ProtocolError),
        (410, ProtocolError),
    ],
)
def test_http_errors_map_to_harvest_errors(
    status: int, error: type[HarvestError], server: ReplayServer, client: httpx.Client
) -> None:
    path = f"/status/{status}"
    server.route(path, b"<html><body>nope</body></html>", status, {"Content-Type": "text/html"})
    with pytest.raises(error) as caught:
        harvest(server.url + path, client)
    assert f"HTTP {status}" in str(caught.value) and path in str(caught.value)
    assert isinstance(caught.value, TransientError) == (status >= 500 or status == 429)
    expected_requests = 1 + POLICY.max_retries if status == 429 else 1
    assert len(server.requests_to(path)) == expected_requests


def test_server_error_then_success_is_not_retried_but_next_run_works(
    server: ReplayServer, client: httpx.Client
) -> None:
    body = (FIXTURES / "rss_0.91_spec_1.xml").read_bytes()
    server.route("/flaky/rss", b"", 500, times=1)
    server.route("/flaky/rss", body, headers=XML_TYPE)
    with pytest.raises(TransientError, match="HTTP 500"):
        harvest(server.url + "/flaky/rss", client)
    items, _ = harvest(server.url + "/flaky/rss", client)
    assert len(items) == len(etree.fromstring(body).findall("channel/item"))


@pytest.mark.parametrize("chunked", [False, True])
def test_body_over_the_size_cap_is_refused(chunked: bool, server: ReplayServer) -> None:
    body = (FIXTURES / "pet_atom.xml").read_bytes()
    small = HttpPolicy(max_bytes=8192, read_timeout=2.0, sleep=_no_sleep)
    path = f"/big/{chunked}"
    server.route(path, body, headers=XML_TYPE, chunked=chunked)
    with pytest.raises(ResponseTooLarge, match="8192-byte cap"):
        harvest(server.url + path, None, policy=small)


def test_gzip_bomb_is_refused(server: ReplayServer) -> None:
    bomb = (FIXTURES / "bomb-gzip.bin").read_bytes()
    small = HttpPolicy(max_bytes=1_000_000, sleep=_no_sleep)
    server.route(
        "/big/bomb", bomb, headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
    )
    with pytest.raises(ResponseTooLarge, match="decompressed"):
        harvest(server.url + "/big/bomb", None, policy=small)


def test_slow_server_times_out(server: ReplayServer) -> None:
    server.route("/slow/rss", (FIXTURES / "rss_0.91_spec_1.xml").read_bytes(), headers=XML_TYPE, delay=1.5)
    impatient = HttpPolicy(read_timeout=0.3, connect_timeout=1.0, sleep=_no_sleep)
    with pytest.raises(TransientError, match="timed out"):
        harvest(server.url + "/slow/rss", None, policy=impatient)


def test_non_http_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="http"):
        harvest("file:///etc/passwd", None)


# --- wide sample over the shared test data ---------------------------------------------------------

REAL_DIRS = (
    "real-world_feed-rs",
    "real-world_feedjira",
    "gofeed-testdata",
    "jsonfeed-schema-examples",
    "trafilatura",
    "crawler-commons-rss",
    "scrapy-samples",
)
SUITES = ("feedparser-testsuite", "feedvalidator-testcases")
HEADER_LINE = re.compile(rb"^Header:\s*([A-Za-z-]+):\s*(.+?)\s*$", re.MULTILINE)


def wide_sample(feeds: Path) -> list[Path]:
    """All real-world files plus a deterministic ~300-file slice of the synthetic suites (all ill-formed)."""
    real = sorted(p for d in REAL_DIRS for p in (feeds / d).rglob("*") if p.is_file())
    suites = sorted(p for d in SUITES for p in (feeds / d).rglob("*") if p.is_file())
    step = max(1, len(suites) // 300)
    picked = set(suites[::step]) | {p for p in suites if "illformed" in p.parts}
    return real + sorted(picked)


def served_headers(body: bytes, path: Path) -> dict[str, str]:
    """The HTTP headers a suite file asks for in its comment, else a content type from its name."""
    headers = {m.group(1).decode(): m.group(2).decode("latin-1") for m in HEADER_LINE.finditer(body[:2048])}
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json" if path.suffix == ".json" else "application/xml"
    return headers


def feedparser_titles(body: bytes, headers: dict[str, str], url: str) -> list[str]:
    """Entry titles as feedparser itself reads them, converted to text the way a reader would."""
    lowered = {k.lower(): v for k, v in headers.items()} | {"content-location": url}
    parsed = feedparser.parse(io.BytesIO(body), response_headers=lowered)
    titles = []
    for entry in parsed.entries:
        kind = (entry.get("title_detail") or {}).get("type") or ""
        raw = entry.get("title") or ""
        titles.append(html_text(raw) if "html" in kind else squash(raw))
    return titles


def test_wide_sample_never_raises_anything_but_harvest_errors(client: httpx.Client) -> None:
    feeds = SHARED / "feeds"
    if not feeds.is_dir():
        pytest.skip(f"shared test data not found at {feeds} (clone shared/ beside the repo)")
    files = wide_sample(feeds)
    problems: list[str] = []
    counts = {"files": len(files), "resources": 0, "harvest_errors": 0, "lxml_checked": 0}
    with ReplayServer() as server:
        for index, path in enumerate(files):
            body = path.read_bytes()
            headers = served_headers(body, path)
            route = f"/wide/{index}/{path.name}"
            server.route(route, body, headers=headers)
            url = server.url + route
            where = str(path.relative_to(feeds))
            try:
                items, _ = harvest(url, client)
            except HarvestError:
                counts["harvest_errors"] += 1
                continue
            except Exception as exc:  # the point of the test: nothing else may escape
                problems.append(f"{where}: {type(exc).__name__}: {exc}")
                continue
            titles = [] if path.suffix == ".json" else feedparser_titles(body, headers, url)
            for position, item in enumerate(items):
                if isinstance(item, RecordFailure):
                    continue
                try:
                    resource = normalize_feed_entry(item)
                except SkipRecord:
                    continue
                except InvalidRecord as exc:
                    problems.append(f"{where}: invalid record from our own harvester: {exc}")
                    continue
                counts["resources"] += 1
                link = json.loads(item.payload)["link"]
                if resource.url is not None and not is_http_url(resource.url):
                    problems.append(f"{where}#{position}: url {resource.url!r} is not absolute http(s)")
                if link and is_http_url(link) and resource.url != link:
                    problems.append(f"{where}#{position}: url {resource.url!r} != entry link {link!r}")
                if titles and title_of(resource) != titles[position]:
                    problems.append(
                        f"{where}#{position}: title {title_of(resource)!r} != {titles[position]!r}"
                    )
            if path.parts[len(feeds.parts)].startswith("real-world") and path.suffix == ".xml":
                counts["lxml_checked"] += lxml_cross_check(body, url, items, where, problems)
    assert not problems, "\n".join(problems[:40])
    assert counts["resources"] > 500 and counts["harvest_errors"] > 10 and counts["lxml_checked"] > 100, (
        counts
    )


def lxml_cross_check(body: bytes, url: str, items: list[HarvestItem], where: str, problems: list[str]) -> int:
    """Compare titles and links with what lxml reads from well-formed real-world RSS/Atom; entries checked."""
    try:
        expected = expected_xml(body, url)
    except etree.XMLSyntaxError:
        return 0
    if expected is None:
        return 0
    entries = expected[1]
    if len(entries) != len(items):
        problems.append(f"{where}: {len(items)} items for {len(entries)} entries")
        return 0
    for position, (item, exp) in enumerate(zip(items, entries, strict=True)):
        if not isinstance(item, RawRecord) or not (exp.title or exp.link):
            continue
        resource = normalize_feed_entry(item)
        if title_of(resource) != exp.title or (exp.link and resource.url != exp.link):
            got = (title_of(resource), resource.url)
            problems.append(f"{where}#{position}: lxml says {(exp.title, exp.link)!r}, got {got!r}")
    return len(entries)


def test_payload_is_plain_sorted_utf8_json(server: ReplayServer, client: httpx.Client) -> None:
    body = (FIXTURES / "rss_2.0_relurl_1.xml").read_bytes()
    server.route("/payload/rss", body, headers=XML_TYPE)
    items, _ = harvest(server.url + "/payload/rss", client)
    first = items[0]
    assert isinstance(first, RawRecord)
    payload: dict[str, Any] = json.loads(first.payload.decode("utf-8"))
    assert first.payload == json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    channel = etree.fromstring(body).find("channel")
    assert channel is not None
    assert payload["feed"]["title"] == channel.findtext("title")
    assert payload["feed"]["language"] == channel.findtext("language")
    assert payload["language"] == channel.findtext("language")
    author = channel.findtext("item/author")
    name, address = email.utils.parseaddr(author or "")
    assert payload["authors"] == [{"name": name, "email": address, "href": None}]


# --- entries per feed: the `max_entries` option --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("RSSWithComments.xml", "application/rss+xml"), ("jsonfeed_elastic_1.1.json", "application/feed+json")],
)
def test_max_entries_keeps_the_first_entries_and_notes_the_cut(
    server: ReplayServer, client: httpx.Client, name: str, content_type: str
) -> None:
    body = (FIXTURES / name).read_bytes()
    url = server.url + "/capped/" + name
    server.route("/capped/" + name, body, headers={"Content-Type": content_type})
    every, _ = harvest(url, client)
    total = len(every)
    assert total >= 3, "the fixture has entries enough to cut"
    limit = total - 1
    state = HarvestState()
    spec = typed_source("src", "feed", url, {"max_entries": limit})
    kept = list(FeedHarvester(spec, POLICY, client).harvest(state))
    assert [i.native_id for i in kept] == [i.native_id for i in every[:limit]]  # document order
    assert any(f"the feed has {total} entries; the first {limit} were kept" in note for note in state.notes)
    quiet = HarvestState()
    list(
        FeedHarvester(typed_source("src", "feed", url, {"max_entries": total}), POLICY, client).harvest(quiet)
    )
    assert not any("were kept" in note for note in quiet.notes)


def test_a_large_feed_is_read_in_slices_with_every_entry_as_a_whole_read_gives(
    server: ReplayServer, client: httpx.Client
) -> None:
    from harvesters.feed import CHUNK

    source = (FIXTURES / "RSSWithComments.xml").read_bytes()
    head, rest = source.split(b"<item>", 1)
    items = [
        b"<item>" + part.split(b"</item>", 1)[0] + b"</item>"
        for part in (b"<item>" + rest).split(b"<item>")[1:]
    ]
    tail = source[source.rindex(b"</item>") + len(b"</item>") :]
    n = 2 * CHUNK + 7  # three slices
    many = [items[i % len(items)].replace(b"<item>", b"<item><guid>g-%d</guid>" % i, 1) for i in range(n)]
    body = head + b"\n".join(many) + tail
    server.route("/many.xml", body, headers={"Content-Type": "application/rss+xml"})
    got, _ = harvest(server.url + "/many.xml", client, policy=POLICY)
    whole = feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": server.url + "/many.xml"}
    )
    expected = [entry.get("id") for entry in whole.entries]
    assert len(expected) == n
    assert [i.native_id for i in got] == expected  # every entry, in document order, none twice
    capped = HarvestState()
    spec = typed_source("src", "feed", server.url + "/many.xml", {"max_entries": CHUNK + 3})
    kept = list(FeedHarvester(spec, POLICY, client).harvest(capped))
    assert [i.native_id for i in kept] == expected[: CHUNK + 3]
    assert any(f"the feed has {n} entries; the first {CHUNK + 3} were kept" in note for note in capped.notes)
