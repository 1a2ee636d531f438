"""Probe a URL before registering it: which protocol it speaks and what it offers."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import feedparser
import httpx
import lxml.html
from lxml import etree

from harvesters.errors import HarvestError
from harvesters.http import FetchedResponse, HttpPolicy, fetch, make_client
from harvesters.jsonfeed import JSONFEED_VERSION_PREFIX
from harvesters.oaipmh import OAI_NS
from harvesters.xml import parse_xml

OAI = "{" + OAI_NS + "}"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json")
MAX_SETS = 100


@dataclass(slots=True)
class ProbeReport:
    """What a probe found: the protocol to register (None when nothing fitted), the URL to register it
    with, and what the endpoint offers."""

    url: str
    protocol: str | None = None
    source_url: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    requests: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "protocol": self.protocol,
            "source_url": self.source_url,
            "details": self.details,
            "notes": self.notes,
            "requests": self.requests,
            "command": self.command(),
        }

    def command(self) -> str | None:
        """The `gkss sources add` line that registers what was found."""
        if self.protocol is None or self.source_url is None:
            return None
        line = f"gkss sources add ID --protocol {self.protocol} --url '{self.source_url}'"
        if self.protocol == "oai-pmh" and "oai_dc" in self.details.get("metadata_formats", []):
            line += " --metadata-prefix oai_dc"
        return line


class _Prober:
    def __init__(self, client: httpx.Client, policy: HttpPolicy, report: ProbeReport) -> None:
        self.client = client
        self.policy = policy
        self.report = report

    def get(self, url: str, params: dict[str, str] | None = None) -> FetchedResponse:
        self.report.requests += 1
        return fetch(self.client, self.policy, url, params=params)

    def run(self) -> None:
        url = self.report.url
        try:
            response = self.get(url)
        except HarvestError as exc:
            self.report.notes.append(f"{url}: {exc}")
            response = None
        if response is not None and response.status < 400 and self.classify(response, url):
            return
        if response is not None and response.status >= 400:
            self.report.notes.append(f"{url} answered HTTP {response.status}")
        self.oai(_base(url))  # an OAI-PMH base URL often answers nothing useful without a verb

    def classify(self, response: FetchedResponse, url: str) -> bool:
        body = response.content.lstrip()
        kind = response.content_type.split(";")[0].strip().lower()
        if body[:1] in (b"{", b"[") or kind.endswith("json"):
            return self.json_document(response, url)
        if body[:1] == b"<" and b"<html" not in body[:2048].lower():
            return self.xml_document(response, url)
        if body[:1] == b"<":
            return self.html_page(response, url)
        return False

    def json_document(self, response: FetchedResponse, url: str) -> bool:
        try:
            document = json.loads(response.content)
        except ValueError:
            self.report.notes.append(f"{url}: not valid JSON")
            return False
        if not isinstance(document, dict):
            return False
        kind = response.content_type.lower()
        if str(document.get("version", "")).startswith(JSONFEED_VERSION_PREFIX):
            return self.feed(response, url)
        if "jsonapi" in document or "vnd.api+json" in kind:
            links = document.get("links") if isinstance(document.get("links"), dict) else {}
            data = document.get("data")
            self.found(
                "drupal-jsonapi",
                url,
                resource_types=sorted(k for k in links or {} if "--" in k),
                records_on_first_page=len(data) if isinstance(data, list) else None,
            )
            return True
        if "@odata.context" in document or "odata.metadata" in document:
            value = document.get("value")
            self.found("odata", url, records_on_first_page=len(value) if isinstance(value, list) else None)
            return True
        solr = document.get("response")
        if isinstance(solr, dict) and "numFound" in solr:
            self.found("cbd-index", url, records=solr.get("numFound"))
            return True
        return False

    def xml_document(self, response: FetchedResponse, url: str) -> bool:
        try:
            root = parse_xml(response.content, url)
        except HarvestError as exc:
            self.report.notes.append(str(exc))
            return False
        tag = root.tag if isinstance(root.tag, str) else ""
        if tag == OAI + "OAI-PMH":
            return self.oai(_base(url))
        if tag in (SITEMAP_NS + "urlset", SITEMAP_NS + "sitemapindex"):
            self.found(
                "sitemap",
                url,
                kind="index" if tag.endswith("sitemapindex") else "urlset",
                urls=len(root.findall(SITEMAP_NS + "url")),
                sitemaps=len(root.findall(SITEMAP_NS + "sitemap")),
            )
            return True
        return self.feed(response, url)

    def html_page(self, response: FetchedResponse, url: str) -> bool:
        try:
            page = lxml.html.document_fromstring(response.content)
        except (etree.ParserError, ValueError):
            return False
        feeds = [
            urljoin(response.url, str(link.get("href")))
            for link in page.iter("link")
            if "alternate" in str(link.get("rel", "")).lower().split()
            and str(link.get("type", "")).lower() in FEED_TYPES
            and link.get("href")
        ]
        self.report.details["discovered_feeds"] = feeds
        for feed_url in feeds:
            try:
                feed_response = self.get(feed_url)
            except HarvestError as exc:
                self.report.notes.append(f"{feed_url}: {exc}")
                continue
            if feed_response.status < 400 and self.feed(feed_response, feed_url):
                self.report.details["discovered_from"] = url
                return True
        self.report.notes.append(f"{url} is an HTML page without a readable feed; it can be scraped")
        self.found("scrape", url, title=(page.findtext(".//title") or "").strip() or None)
        return True

    def feed(self, response: FetchedResponse, url: str) -> bool:
        parsed = feedparser.parse(io.BytesIO(response.content), response_headers=dict(response.headers))
        if not parsed.get("version"):
            return False
        self.found(
            "feed",
            url,
            feed_type=parsed.version,
            title=parsed.feed.get("title"),
            entries=len(parsed.entries),
            well_formed=not parsed.bozo,
        )
        return True

    def oai(self, base: str) -> bool:
        """Identify, ListMetadataFormats and the first page of ListSets."""
        identify = self.verb(base, "Identify")
        if identify is None:
            return False
        details: dict[str, Any] = {
            name: identify.findtext(OAI + name)
            for name in (
                "repositoryName",
                "protocolVersion",
                "granularity",
                "deletedRecord",
                "earliestDatestamp",
                "adminEmail",
            )
        }
        formats = self.verb(base, "ListMetadataFormats")
        details["metadata_formats"] = (
            [] if formats is None else _texts(formats, "metadataFormat", "metadataPrefix")
        )
        sets = self.verb(base, "ListSets", allow_error="noSetHierarchy")
        specs = [] if sets is None else _texts(sets, "set", "setSpec")
        details["sets"] = specs[:MAX_SETS]
        details["more_sets"] = len(specs) > MAX_SETS or (
            sets is not None and bool(sets.findtext(OAI + "resumptionToken"))
        )
        self.found("oai-pmh", base, **details)
        return True

    def verb(self, base: str, verb: str, allow_error: str | None = None) -> etree._Element | None:
        try:
            response = self.get(base, params={"verb": verb})
            if response.status >= 400:
                self.report.notes.append(f"{verb}: HTTP {response.status}")
                return None
            root = parse_xml(response.content, f"{verb} response")
        except HarvestError as exc:
            self.report.notes.append(f"{verb}: {exc}")
            return None
        if root.tag != OAI + "OAI-PMH":
            return None
        error = root.find(OAI + "error")
        if error is not None:
            if error.get("code") != allow_error:
                self.report.notes.append(
                    f"{verb}: OAI error {error.get('code')}: {(error.text or '').strip()}"
                )
            return None
        return root.find(OAI + verb)

    def found(self, protocol: str, url: str, **details: Any) -> None:
        self.report.protocol = protocol
        self.report.source_url = url
        self.report.details.update(details)


def _texts(parent: etree._Element, child: str, leaf: str) -> list[str]:
    return [(e.text or "").strip() for e in parent.findall(f"{OAI}{child}/{OAI}{leaf}")]


def _base(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def probe(
    policy: HttpPolicy, url: str, client_factory: Callable[[HttpPolicy], httpx.Client] = make_client
) -> ProbeReport:
    """Probe ``url`` under the harvest HTTP policy (SSRF guard, caps, timeouts); never raises for
    what the remote end does: what went wrong is in ``notes``."""
    report = ProbeReport(url=url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        report.notes.append(f"not an absolute http(s) URL: {url!r}")
        return report
    with client_factory(policy) as client:
        try:
            _Prober(client, policy, report).run()
        except Exception as exc:  # what a hostile page does to a parser is a note, never a 500
            report.notes.append(f"internal error while probing: {type(exc).__name__}: {exc}")
    return report
