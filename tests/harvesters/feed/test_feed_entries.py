"""FeedHarvester + feed-entry crosswalk: each RSS/Atom/JSON Feed entry of real payloads, served over
local HTTP, becomes the record the document says (read independently with lxml/json)."""

from __future__ import annotations

import email.utils
import json
from typing import Any

import httpx
import pytest
from lxml import etree

from harvesters.records import RawRecord, RecordFailure
from normalizers.feed_entry import normalize_feed_entry
from tests.harvesters.feed.support import (
    FIXTURES,
    XML_TYPE,
    check_entries,
    expected_json,
    expected_xml,
    harvest,
    html_text,
    squash,
)
from tests.support.http_replay import ReplayServer

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


def test_atom_html_content_without_summary_becomes_plain_text(
    server: ReplayServer, client: httpx.Client
) -> None:
    """An Atom entry with only ``<content type="html">`` (GitHub release notes, feed-rs's fixture): its
    description is the content's text, not its markup (feedparser copies it into the summary untyped)."""
    body = (FIXTURES / "atom_example_6.xml").read_bytes()
    server.route("/formats/atom_example_6.xml", body, headers=XML_TYPE)
    items, _ = harvest(server.url + "/formats/atom_example_6.xml", client)
    root = etree.fromstring(body)
    contents = [html_text(c.text or "") for c in root.iter("{http://www.w3.org/2005/Atom}content")]
    assert len(contents) == 4 and all("<" not in c for c in contents)
    descriptions = [
        squash(" ".join(normalize_feed_entry(item).description.values()))
        for item in items
        if isinstance(item, RawRecord)
    ]
    assert descriptions == contents
    assert "Update version to 0.1.3" in descriptions
