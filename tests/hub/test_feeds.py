"""Feeds (Atom 1.0, RSS 2.0, JSON Feed 1.1) over a store built by harvesting real records."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import jsonschema
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.feeds import link_of
from hub.pipeline import harvest_source
from hub.settings import Settings
from hub.store.models import RecordRow
from normalizers.resource import Provenance, Resource, resource_id
from tests.hub.oai.support import tagged_records
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, load_real_records

pytestmark = pytest.mark.clock  # dates, times and zones: tests/run.sh reruns these under faketime

SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "jsonfeed-schema" / "schema-v1.1.json"
ATOM_RNG = Path(__file__).resolve().parents[1] / "fixtures" / "atom-rng" / "atom.rng"
ATOM = "{http://www.w3.org/2005/Atom}"
AT = "{http://purl.org/atompub/tombstones/1.0}"
HOSTILE_ID = "oai:gkss-test:hostile"
HOSTILE_TITLE = 'Pollinators <script>alert(1)</script> & "bees" <b>bold</b>'
HOSTILE_TEXT = 'Summary "quoted" &lt;img src=x onerror=alert(2)&gt; &amp;amp; more & <i>less</i>'
DC = "{http://purl.org/dc/elements/1.1/}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
FORMATS = ("atom", "rss", "json")


def _hostile(template: ReplayRecord, stamp: datetime) -> ReplayRecord:
    assert template.metadata is not None
    root = etree.fromstring(template.metadata, _PARSER)
    for element in [*root.iter(DC + "title"), *root.iter(DC + "description")]:
        element.getparent().remove(element)  # type: ignore[union-attr]
    etree.SubElement(root, DC + "title").text = HOSTILE_TITLE
    etree.SubElement(root, DC + "description").text = HOSTILE_TEXT
    return ReplayRecord(identifier=HOSTILE_ID, datestamp=stamp, metadata=etree.tostring(root))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Hub, str]]:
    """Harvest real records (``repo``, plus one with hostile text) and recombined ones (``tagged``), then
    delete one ``repo`` record at its source and harvest again. Yields the hub and the deleted id."""
    home = tmp_path_factory.mktemp("feeds") / "gkss"
    hub = open_hub(Settings(home=home, http_timeout=5, http_total_timeout=20, http_max_retries=1))
    real = load_real_records()
    live = sorted(r.identifier for r in real if r.identifier and not r.deleted and r.metadata)
    template = next(r for r in real if r.identifier == live[0])
    records = [*real, _hostile(template, template.datestamp)]
    with OaiReplayServer(records, page_size=7) as repo, OaiReplayServer(tagged_records(real)) as tags:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        hub.store.add_source("tagged", "oai-pmh", tags.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
        assert harvest_source(hub, "tagged").status == "succeeded"
        gone = live[-1]
        repo.delete_record(gone, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2))
        second = harvest_source(hub, "repo")
        assert second.status == "succeeded", second.error
        assert second.deleted == 1
    yield hub, resource_id("repo", gone)
    hub.close()


@pytest.fixture(scope="module")
def client(built: tuple[Hub, str]) -> Iterator[TestClient]:
    with TestClient(create_app(hub=built[0])) as test_client:
        yield test_client


def _resources(hub: Hub) -> dict[str, Resource]:
    return {r.id: r for batch in hub.store.iter_resources() for r in batch}


def _published(resource: Resource) -> datetime:
    """When a record was published, as feeds order it: its moment as given (a moment without a zone
    read as UTC), else the start of its date in UTC; undated records last."""
    if resource.published_at is not None:
        given = resource.published_at
        return (given if given.tzinfo else given.replace(tzinfo=UTC)).astimezone(UTC)
    day = resource.display_date()
    return datetime.combine(date.fromisoformat(day), time(), UTC) if day else datetime.min.replace(tzinfo=UTC)


def _newest_first(resources: list[Resource]) -> list[Resource]:
    by_id = sorted(resources, key=lambda r: r.id)
    return sorted(by_id, key=_published, reverse=True)


def _get(client: TestClient, kind: str, query: str = "", **headers: str) -> tuple[bytes, dict[str, str]]:
    response = client.get(f"/feeds/{kind}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.content, dict(response.headers)


def _ids(client: TestClient, kind: str, query: str) -> list[str]:
    """The resource ids of one feed page, read through each format's own id field."""
    body, _ = _get(client, kind, query)
    if kind == "json":
        return [item["_gkss"]["id"] for item in json.loads(body)["items"]]
    parsed = feedparser.parse(body)
    return [entry.id.rsplit(":", 1)[1] for entry in parsed.entries]


def test_every_feed_parses_and_lists_the_stored_resources_newest_first(
    client: TestClient, built: tuple[Hub, str]
) -> None:
    hub, _ = built
    stored = _resources(hub)
    expected = _newest_first(list(stored.values()))[:100]
    assert len(expected) > 30
    for kind, version in (("atom", "atom10"), ("rss", "rss20")):
        body, headers = _get(client, kind, "size=100")
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.bozo_exception
        assert parsed.version == version
        assert headers["content-type"].startswith(f"application/{kind}+xml")
        # an RSS title is HTML to its readers (feedparser too): the hub escapes it, the reader shows the text
        titles = [html.unescape(e.title) if kind == "rss" else e.title for e in parsed.entries]
        assert titles == [r.display_title() for r in expected]
        links = [e.link for e in parsed.entries]
        assert links == [r.url or f"http://testserver/api/resources/{r.id}" for r in expected]
        authors = [[a.get("name") for a in e.get("authors", []) if a.get("name")] for e in parsed.entries]
        assert authors == [r.creators for r in expected]
        ids = [e.id for e in parsed.entries]
        assert ids == [f"tag:gkss-hub.cbd.int,2024:resource:{r.id}" for r in expected]
    body, headers = _get(client, "json", "size=100")
    assert headers["content-type"].startswith("application/feed+json")
    document = json.loads(body)
    assert [i["title"] for i in document["items"]] == [r.display_title() for r in expected]
    assert [i["_gkss"]["id"] for i in document["items"]] == [r.id for r in expected]


def test_atom_entries_carry_dates_language_categories_and_provenance(
    client: TestClient, built: tuple[Hub, str]
) -> None:
    hub, _ = built
    stored = _resources(hub)
    body, _ = _get(client, "atom", "source=tagged&size=100")
    root = etree.fromstring(body, _PARSER)
    entries = root.findall(ATOM + "entry")
    assert entries
    for entry in entries:
        rid = str(entry.findtext(ATOM + "id")).rsplit(":", 1)[1]
        resource = stored[rid]
        assert entry.findtext(ATOM + "updated")
        if resource.published_at:  # the time of day (and offset) the source gave
            moment = resource.published_at
            assert datetime.fromisoformat(str(entry.findtext(ATOM + "published"))) == moment
            assert str(entry.findtext(ATOM + "published")).startswith(str(resource.published))
        elif resource.published:
            assert entry.findtext(ATOM + "published") == f"{resource.published.isoformat()}T00:00:00Z"
        terms = {c.get("term") for c in entry.findall(ATOM + "category")}
        assert terms == {resource.type, *resource.gbf_targets}
        assert entry.findtext(f"{ATOM}source/{ATOM}title") == "tagged"
        title = entry.find(ATOM + "title")
        assert title is not None and title.get("type") == "text"
        lang = title.get("{http://www.w3.org/XML/1998/namespace}lang")
        assert lang is None or resource.title[lang] == title.text
    assert any(
        e.findall(f"{ATOM}category[@scheme='https://gkss-hub.cbd.int/ns/gbf-target']") for e in entries
    )


@pytest.mark.parametrize(
    "query",
    ["source=tagged", "source=repo", "country=KE", "target=3", "type=other&source=repo", "q=biodiversity"],
)
@pytest.mark.parametrize("kind", FORMATS)
def test_filters_narrow_the_feed_as_search_does(client: TestClient, kind: str, query: str) -> None:
    search = client.get(f"/api/search?sort=date&size=100&{query}").json()
    expected = [r["id"] for r in search["results"]]
    assert _ids(client, kind, f"size=100&{query}") == expected
    everything = client.get("/api/search?size=1").json()["total"]
    assert search["total"] < everything


def test_json_feed_validates_against_the_v1_1_schema(client: TestClient) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for query in ("size=100", "size=5", "size=5&page=2", "source=tagged", "q=no-such-word-anywhere"):
        document = json.loads(_get(client, "json", query)[0])
        jsonschema.validate(document, schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        for item in document["items"]:
            assert {"id", "url", "title", "content_text", "date_modified", "tags"} <= set(item)


def test_atom_validates_against_the_rfc_4287_relax_ng_schema(client: TestClient) -> None:
    """Page 1 carries RFC 6721 tombstones (extension elements), later pages and filters none."""
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    queries = (
        "size=100",
        "size=5",
        "size=5&page=2",
        "source=tagged",
        "source=repo",
        "q=no-such-word-anywhere",
    )
    for query in queries:
        document = etree.fromstring(_get(client, "atom", query)[0], _PARSER)
        assert schema.validate(document), (query, schema.error_log)
    broken = etree.fromstring(_get(client, "atom", "size=5")[0], _PARSER)
    broken.remove(broken.find("{http://www.w3.org/2005/Atom}id"))
    assert not schema.validate(broken), "the schema is strict enough to catch a feed without its id"


def _tombstones(hub: Hub, source: str | None = None) -> list[tuple[str, datetime]]:
    """(id, changed_at) of the store's tombstones, newest first."""
    with hub.store.session() as session:
        query = select(RecordRow.id, RecordRow.changed_at).where(RecordRow.deleted.is_(True))
        if source is not None:
            query = query.where(RecordRow.source_id == source)
        rows = session.execute(query).all()
    stamped = [(row.id, row.changed_at.replace(tzinfo=UTC, microsecond=0)) for row in rows]
    return sorted(sorted(stamped), key=lambda pair: pair[1], reverse=True)


def test_atom_lists_the_deleted_records_as_tombstones_on_page_one(
    client: TestClient, built: tuple[Hub, str]
) -> None:
    hub, gone = built
    row = hub.store.get_record(gone)
    assert row is not None and row.deleted
    tag = "tag:gkss-hub.cbd.int,2024:resource:"
    for query, source in (("", None), ("source=repo", "repo"), ("size=2", None)):
        root = etree.fromstring(_get(client, "atom", query)[0], _PARSER)
        stones = [
            (str(s.get("ref")), datetime.fromisoformat(str(s.get("when")).replace("Z", "+00:00")))
            for s in root.findall(AT + "deleted-entry")
        ]
        expected = _tombstones(hub, source)[: 2 if query == "size=2" else 20]
        assert stones == [(tag + rid, when) for rid, when in expected]
        assert stones[0][0] == tag + gone, "the record deleted by the second harvest is the newest"
        assert {ref for ref, _ in stones}.isdisjoint(
            e.findtext(ATOM + "id") for e in root.iter(ATOM + "entry")
        )
    assert len(_tombstones(hub)) == 4
    for query in ("source=tagged", "page=2"):
        root = etree.fromstring(_get(client, "atom", query)[0], _PARSER)
        assert root.findall(AT + "deleted-entry") == []


@pytest.mark.parametrize("kind", FORMATS)
def test_conditional_get_answers_304(client: TestClient, kind: str) -> None:
    body, headers = _get(client, kind, "size=7")
    etag, modified = headers["etag"], headers["last-modified"]
    assert etag.startswith('"') and modified.endswith("GMT")
    again = client.get(f"/feeds/{kind}?size=7", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    since = client.get(f"/feeds/{kind}?size=7", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    older = datetime.strptime(modified, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC) - timedelta(days=1)
    stale = client.get(f"/feeds/{kind}?size=7", headers={"If-Modified-Since": format_datetime(older, True)})
    assert stale.status_code == 200 and stale.content == body
    changed = client.get(f"/feeds/{kind}?size=7", headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200 and changed.headers["etag"] == etag


@pytest.mark.parametrize("source", [None, "tagged"])
def test_last_modified_is_the_newest_change_of_the_filtered_sources(
    client: TestClient, built: tuple[Hub, str], source: str | None
) -> None:
    hub, _ = built
    with hub.store.session() as session:
        query = select(RecordRow.changed_at)
        if source is not None:
            query = query.where(RecordRow.source_id == source)
        newest = max(session.scalars(query)).replace(tzinfo=UTC, microsecond=0)
    for kind in FORMATS:
        _, headers = _get(client, kind, f"source={source}" if source else "")
        assert headers["last-modified"] == format_datetime(newest, usegmt=True)
    root = etree.fromstring(_get(client, "atom", f"source={source}" if source else "")[0], _PARSER)
    assert root.findtext(ATOM + "updated") == newest.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_only_http_links_are_published() -> None:
    provenance = Provenance(source="s", protocol="p", native_id="n", payload_hash="0", content_type="x")
    base = "http://hub.example/"
    for url in ("javascript:alert(1)", "data:text/html,<b>x</b>", " ", "ftp://a/b", "http://a/\x01"):
        resource = Resource(id="s-1", source="s", native_id="n", url=url, provenance=provenance)
        assert link_of(resource, base) == "http://hub.example/api/resources/s-1"
    resource = Resource(id="s-1", source="s", native_id="n", url="https://a.example/x", provenance=provenance)
    assert link_of(resource, base) == "https://a.example/x"


def _next_link(body: bytes, kind: str) -> str | None:
    if kind == "json":
        value = json.loads(body).get("next_url")
        return str(value) if value else None
    root = etree.fromstring(body, _PARSER)
    found = root.xpath("//*[local-name()='link' and @rel='next']")
    return str(found[0].get("href")) if found else None


@pytest.mark.parametrize("kind", FORMATS)
def test_paging_links_lead_through_every_entry_once(
    client: TestClient, built: tuple[Hub, str], kind: str
) -> None:
    hub, _ = built
    expected = [r.id for r in _newest_first(list(_resources(hub).values()))]
    seen: list[str] = []
    url: str | None = "/feeds/" + kind + "?size=6"
    pages = 0
    while url is not None:
        parts = urlsplit(url)
        query = parts.query
        seen += _ids(client, kind, query)
        body, _ = _get(client, kind, query)
        if kind != "json" and pages:
            root = etree.fromstring(body, _PARSER)
            rels = {str(link.get("rel")) for link in root.xpath("//*[local-name()='link']")}
            assert {"first", "previous", "last", "self"} <= rels
        url = _next_link(body, kind)
        pages += 1
    assert seen == expected
    assert pages == -(-len(expected) // 6)


@pytest.mark.parametrize("kind", FORMATS)
def test_hostile_harvested_text_is_escaped_never_markup(
    client: TestClient, built: tuple[Hub, str], kind: str
) -> None:
    stored = next(r for r in _resources(built[0]).values() if r.display_title() == HOSTILE_TITLE)
    text = next(iter(stored.description.values()))  # the crosswalk strips tags, keeps "&" and quotes
    assert "&" in text
    body, _ = _get(client, kind, "size=100")
    assert b"<script>" not in body and b"<img" not in body and b"<b>" not in body
    if kind == "json":
        items = json.loads(body)["items"]
        item = next(i for i in items if i["title"] == HOSTILE_TITLE)
        assert item["content_text"] == text
        return
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0
    titles = [html.unescape(e.title) if kind == "rss" else e.title for e in parsed.entries]
    assert HOSTILE_TITLE in titles
    entry = parsed.entries[titles.index(HOSTILE_TITLE)]
    if kind == "atom":
        assert entry.summary == text and entry.summary_detail.type == "text/plain"
    else:  # an RSS description is HTML to readers: the text arrives HTML-escaped, shown literally
        assert entry.summary == html.escape(text, quote=False)
        assert html.unescape(entry.summary) == text
    assert etree.fromstring(body, _PARSER).xpath("//*[local-name()='script' or local-name()='img']") == []


def test_bad_parameters_are_400(client: TestClient) -> None:
    assert client.get("/feeds/atom?target=99").status_code == 400
    assert client.get("/feeds/rss?size=101").status_code == 422


def test_feeds_are_documented_in_openapi(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for kind in FORMATS:
        names = {p["name"] for p in paths[f"/feeds/{kind}"]["get"]["parameters"]}
        assert {"q", "source", "type", "country", "target", "language", "year", "page", "size"} <= names


def test_an_empty_feed_is_still_valid(client: TestClient) -> None:
    for kind, version in (("atom", "atom10"), ("rss", "rss20")):
        parsed = feedparser.parse(_get(client, kind, "q=no-such-word-anywhere")[0])
        assert parsed.bozo == 0 and parsed.version == version and parsed.entries == []


def test_every_feed_advertises_the_websub_hub_and_its_self_url(client: TestClient) -> None:
    """WebSub discovery (W3C WebSub 4): rel="hub" and rel="self" in the document and in ``Link``."""
    query = "type=document&size=5"
    hub = "http://testserver/websub"
    for kind in FORMATS:
        body, headers = _get(client, kind, query)
        topic = f"http://testserver/feeds/{kind}?{query}"
        assert headers["link"] == f'<{hub}>; rel="hub", <{topic}>; rel="self"'
        if kind == "json":
            document = json.loads(body)
            assert document["hubs"] == [{"type": "WebSub", "url": hub}]
            assert document["feed_url"] == topic
            jsonschema.validate(document, json.loads(SCHEMA.read_text()))
            continue
        root = etree.fromstring(body, _PARSER)
        links = {str(link.get("rel")): str(link.get("href")) for link in root.iter(ATOM + "link")}
        assert links["hub"] == hub
        assert links["self"] == topic
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.bozo_exception
