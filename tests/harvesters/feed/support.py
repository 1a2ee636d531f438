"""What the feed harvester tests share: expectations read from each payload independently (lxml, json),
the replay server of the feed fixtures, and the harvest helper."""

from __future__ import annotations

import email.utils
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from lxml import etree
from lxml import html as lxml_html

from harvesters.base import HarvestItem, HarvestState
from harvesters.feed import CONTENT_TYPE, FeedHarvester
from harvesters.http import HttpPolicy, make_client
from harvesters.records import RawRecord, RecordFailure
from harvesters.registry import typed_source
from normalizers.feed_entry import normalize_feed_entry
from normalizers.resource import Resource
from tests.support.http_replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "testdata"
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
