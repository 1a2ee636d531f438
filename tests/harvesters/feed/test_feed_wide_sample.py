"""FeedHarvester over a wide sample of real feeds (feedparser's and feedvalidator's test suites): never
anything but a harvest error, and entries as lxml reads them."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import feedparser
import httpx
import pytest
from lxml import etree

from harvesters.base import HarvestItem
from harvesters.errors import (
    HarvestError,
)
from harvesters.records import RawRecord, RecordFailure
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.feed_entry import normalize_feed_entry
from tests.harvesters.feed.support import (
    SHARED,
    expected_xml,
    harvest,
    html_text,
    is_http_url,
    squash,
    title_of,
)
from tests.support.http_replay import ReplayServer

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
