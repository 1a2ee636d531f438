"""The feed-entry crosswalk on entries harvested from real feeds over local HTTP."""

from __future__ import annotations

import dataclasses
import email.utils
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from lxml import html as lxml_html

from harvesters.base import HarvestState
from harvesters.feed import FeedHarvester
from harvesters.http import HttpPolicy, make_client
from harvesters.records import RawRecord
from harvesters.registry import typed_source
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.feed_entry import html_to_text, http_url, normalize_feed_entry
from normalizers.resource import Resource, resource_id
from tests.support.http_replay import ReplayServer

pytestmark = pytest.mark.clock  # dates, times and zones: tests/run.sh reruns these under faketime

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
POLICY = HttpPolicy(connect_timeout=2.0, read_timeout=2.0, total_timeout=20.0)


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with make_client(POLICY) as shared:
        yield shared


def harvested(
    name: str, server: ReplayServer, client: httpx.Client, headers: dict[str, str] | None = None
) -> list[RawRecord]:
    """The RawRecords of a fixture feed served over HTTP."""
    content_type = "application/feed+json" if name.endswith(".json") else "application/xml"
    server.route(
        f"/x/{name}",
        (FIXTURES / name).read_bytes(),
        headers={"Content-Type": content_type, **(headers or {})},
    )
    spec = typed_source("src", "feed", f"{server.url}/x/{name}")
    items = list(FeedHarvester(spec, POLICY, client).harvest(HarvestState()))
    records = [i for i in items if isinstance(i, RawRecord)]
    assert records and len(records) == len(items)
    return records


def xml(name: str) -> etree._Element:
    return etree.fromstring((FIXTURES / name).read_bytes())


def squash(text: str | None) -> str:
    return " ".join((text or "").split())


def text_of_html(markup: str | None) -> str:
    return squash(lxml_html.fragment_fromstring(markup or "", create_parent="div").text_content())


def primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def only(mapping: dict[str, str]) -> tuple[str, str]:
    assert len(mapping) == 1, mapping
    return next(iter(mapping.items()))


def with_payload(record: RawRecord, **changes: Any) -> RawRecord:
    payload = json.loads(record.payload) | changes
    return dataclasses.replace(record, payload=json.dumps(payload, sort_keys=True).encode("utf-8"))


# --- descriptions --------------------------------------------------------------------------------------


def test_escaped_html_description_becomes_text(server: ReplayServer, client: httpx.Client) -> None:
    items = xml("rss_1.0_debian.xml").findall(f"{RSS1}item")
    resources = [normalize_feed_entry(r) for r in harvested("rss_1.0_debian.xml", server, client)]
    for item, resource in zip(items, resources, strict=True):
        raw = item.findtext(f"{RSS1}description")
        assert raw is not None and "<q>" in raw
        _, text = only(resource.description)
        assert squash(text) == text_of_html(raw) and "<" not in text


def test_atom_html_summary_becomes_text_with_block_breaks(server: ReplayServer, client: httpx.Client) -> None:
    entries = xml("atom_example_2.xml").findall(f"{ATOM}entry")
    resources = [normalize_feed_entry(r) for r in harvested("atom_example_2.xml", server, client)]
    for entry, resource in zip(entries, resources, strict=True):
        summary = entry.findtext(f"{ATOM}summary")
        heading = lxml_html.fragment_fromstring(summary or "", create_parent="div").find("h4")
        assert heading is not None
        _, text = only(resource.description)
        assert squash(text) == text_of_html(summary)
        assert text.split("\n")[0] == squash(heading.text_content())  # the <h4> is its own line


def test_rss_description_with_inline_markup(server: ReplayServer, client: httpx.Client) -> None:
    items = xml("rss_2.0_relurl_1.xml").findall("channel/item")
    resources = [normalize_feed_entry(r) for r in harvested("rss_2.0_relurl_1.xml", server, client)]
    for item, resource in zip(items, resources, strict=True):
        description = item.find("description")
        assert description is not None
        _, text = only(resource.description)
        assert text == squash("".join(str(t) for t in description.itertext()))


def test_json_content_text_keeps_its_paragraphs(server: ReplayServer, client: httpx.Client) -> None:
    doc = json.loads((FIXTURES / "v1.1_microblog.json").read_bytes())
    (resource,) = [normalize_feed_entry(r) for r in harvested("v1.1_microblog.json", server, client)]
    paragraphs = [squash(p) for p in doc["items"][0]["content_text"].split("\n") if p.strip()]
    assert only(resource.description)[1] == "\n".join(paragraphs)
    assert resource.title == {} and resource.display_title() == doc["items"][0]["url"] == resource.url


# --- languages -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "headers"),
    [
        ("rss_1.0_debian.xml", {}),
        ("rss_2.0_relurl_1.xml", {}),
        ("atom_example_2.xml", {}),
        ("RSSWithComments.xml", {}),
        ("http_content_language_entry_title_inherit_2.xml", {"Content-Language": "en"}),
    ],
)
def test_title_is_keyed_by_the_feed_language(
    name: str, headers: dict[str, str], server: ReplayServer, client: httpx.Client
) -> None:
    root = xml(name)
    declared = root.get(XML_LANG) or root.findtext("channel/language") or headers.get("Content-Language")
    expected = primary(declared) if declared else "und"
    for resource in (normalize_feed_entry(r) for r in harvested(name, server, client, headers)):
        assert list(resource.title) == [expected]
        assert resource.languages == ([] if expected == "und" else [expected])


def test_json_feed_language(server: ReplayServer, client: httpx.Client) -> None:
    doc = json.loads((FIXTURES / "jsonfeed_elastic_1.1.json").read_bytes())
    for resource in (normalize_feed_entry(r) for r in harvested("jsonfeed_elastic_1.1.json", server, client)):
        assert list(resource.title) == [primary(doc["language"])] == resource.languages


# --- people, subjects, dates, identity ---------------------------------------------------------------------


def test_rss_author_email_and_name(server: ReplayServer, client: httpx.Client) -> None:
    items = xml("rss_2.0_relurl_1.xml").findall("channel/item")
    resources = [normalize_feed_entry(r) for r in harvested("rss_2.0_relurl_1.xml", server, client)]
    for item, resource in zip(items, resources, strict=True):
        name, _ = email.utils.parseaddr(item.findtext("author") or "")
        assert name and resource.creators == [name]


def test_atom_authors_and_inherited_feed_author(server: ReplayServer, client: httpx.Client) -> None:
    entries = xml("atom_example_2.xml").findall(f"{ATOM}entry")
    resources = [normalize_feed_entry(r) for r in harvested("atom_example_2.xml", server, client)]
    for entry, resource in zip(entries, resources, strict=True):
        assert resource.creators == [
            squash(a.findtext(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")
        ]
    root = xml("atom_relative.xml")
    assert root.find(f"{ATOM}entry/{ATOM}author") is None
    (resource,) = [normalize_feed_entry(r) for r in harvested("atom_relative.xml", server, client)]
    assert resource.creators == [root.findtext(f"{ATOM}author/{ATOM}name")]


def test_json_authors_and_tags(server: ReplayServer, client: httpx.Client) -> None:
    doc = json.loads((FIXTURES / "jsonfeed_elastic_1.1.json").read_bytes())
    resources = [normalize_feed_entry(r) for r in harvested("jsonfeed_elastic_1.1.json", server, client)]
    for item, resource in zip(doc["items"], resources, strict=True):
        # JSON Feed 1.1 "authors" wins over the 1.0 "author"; items without either inherit the feed's.
        authors = item.get("authors") or ([item["author"]] if "author" in item else doc["authors"])
        assert resource.creators == [a["name"] for a in authors]
        assert resource.subjects == item.get("tags", [])
        if "date_published" in item:
            published = email.utils.parsedate_to_datetime(item["date_published"])
            assert resource.published == published.date() and resource.modified == published
        else:
            assert resource.published is None and resource.modified is None


def test_atom_categories_become_subjects(server: ReplayServer, client: httpx.Client) -> None:
    entries = xml("pet_atom.xml").findall(f"{ATOM}entry")
    resources = [normalize_feed_entry(r) for r in harvested("pet_atom.xml", server, client)]
    for entry, resource in zip(entries, resources, strict=True):
        terms = [c.get("label") or c.get("term") for c in entry.findall(f"{ATOM}category")]
        assert resource.subjects == list(dict.fromkeys(t for t in terms if t))
        assert resource.type == "news"


def test_dates(server: ReplayServer, client: httpx.Client) -> None:
    items = xml("rss_2.0_relurl_1.xml").findall("channel/item")
    resources = [normalize_feed_entry(r) for r in harvested("rss_2.0_relurl_1.xml", server, client)]
    for item, resource in zip(items, resources, strict=True):
        when = email.utils.parsedate_to_datetime(item.findtext("pubDate") or "")
        assert resource.published == when.astimezone(UTC).date() and resource.modified == when
    entries = xml("atom_example_2.xml").findall(f"{ATOM}entry")
    resources = [normalize_feed_entry(r) for r in harvested("atom_example_2.xml", server, client)]
    for entry, resource in zip(entries, resources, strict=True):
        assert entry.find(f"{ATOM}published") is None
        assert resource.modified == datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")
        assert resource.published is None


def test_identity_and_provenance(server: ReplayServer, client: httpx.Client) -> None:
    channel = xml("rss_2.0_relurl_1.xml").find("channel")
    assert channel is not None
    records = harvested("rss_2.0_relurl_1.xml", server, client)
    for item, record in zip(channel.findall("item"), records, strict=True):
        resource = normalize_feed_entry(record, protocol="rss")
        guid = squash(item.findtext("guid"))
        assert (resource.native_id, resource.id) == (guid, resource_id("src", guid))
        assert resource.source == resource.provenance.source == "src"
        assert resource.provenance.protocol == "rss"
        assert resource.provenance.payload_hash == hashlib.sha256(record.payload).hexdigest()
        assert resource.provenance.content_type == "application/x-feed-entry+json"
        assert resource.publisher == channel.findtext("title")


# --- type, skips, bad payloads ------------------------------------------------------------


def test_event_tags_make_an_event(server: ReplayServer, client: httpx.Client) -> None:
    record = harvested("pet_atom.xml", server, client)[0]
    assert normalize_feed_entry(record).type == "news"
    tagged = with_payload(record, tags=[{"term": "Pets", "label": None, "scheme": None}, {"term": "Events"}])
    assert normalize_feed_entry(tagged).type == "event"


def test_entry_without_title_or_http_link_is_skipped(server: ReplayServer, client: httpx.Client) -> None:
    record = harvested("rss_1.0_spec_1.xml", server, client)[0]
    with pytest.raises(SkipRecord, match="neither a title nor"):
        normalize_feed_entry(with_payload(record, title=None, link=None))
    with pytest.raises(SkipRecord):
        normalize_feed_entry(with_payload(record, title="  ", link="javascript:alert(1)"))
    with pytest.raises(SkipRecord):
        normalize_feed_entry(dataclasses.replace(record, deleted=True))


@pytest.mark.parametrize(
    "link", ["mailto:someone@example.org", "/relative/path", "javascript:alert(1)", "http://"]
)
def test_non_http_links_are_dropped_but_the_title_stays(
    link: str, server: ReplayServer, client: httpx.Client
) -> None:
    record = harvested("rss_1.0_spec_1.xml", server, client)[0]
    resource = normalize_feed_entry(with_payload(record, link=link))
    assert resource.url is None and resource.title == normalize_feed_entry(record).title


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b"{", b"\xff\xfe"])
def test_unreadable_payload_is_invalid(payload: bytes, server: ReplayServer, client: httpx.Client) -> None:
    record = harvested("rss_1.0_spec_1.xml", server, client)[0]
    with pytest.raises(InvalidRecord):
        normalize_feed_entry(dataclasses.replace(record, payload=payload))


def test_resource_round_trips_through_json(server: ReplayServer, client: httpx.Client) -> None:
    for record in harvested("pet_atom.xml", server, client):
        resource = normalize_feed_entry(record)
        assert Resource.model_validate_json(resource.model_dump_json()) == resource


# --- helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("<script>alert(1)</script><p>Hello <b>world</b></p><style>p { color: red }</style>", "Hello world"),
        ("<p>one\n  line</p><p>two</p>", "one line\ntwo"),
        ("a<br>b<!-- hidden -->", "a\nb"),
        ("Fish &amp; chips &lt;3", "Fish & chips <3"),
        ("<?xml version='1.0' encoding='utf-8'?><div>declared</div>", "declared"),
        ("<!-- only a comment -->", ""),
        ("   ", ""),
        ("<ul><li>x</li><li>y</li></ul>", "x\ny"),
    ],
)
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.org/a?b=c", "https://example.org/a?b=c"),
        ("HTTP://EXAMPLE.ORG/", "HTTP://EXAMPLE.ORG/"),
        ("ftp://example.org/file", None),
        ("//example.org/x", None),
        ("http://[::1", None),
        (None, None),
    ],
)
def test_http_url(value: str | None, expected: str | None) -> None:
    assert http_url(value) == expected
