"""/api/search over HTTP: ETag and 304, CORS for embedding sites, and the OpenSearch description."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, live_and_deleted, load_real_records

OS = "{http://a9.com/-/spec/opensearch/1.1/}"


@pytest.fixture(scope="module")
def records() -> list[ReplayRecord]:
    return load_real_records()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory, records: list[ReplayRecord]) -> Iterator[Hub]:
    home: Path = tmp_path_factory.mktemp("search-http")
    settings = Settings(home=home, database_url=None, search_url=None, cors_origins="https://chm.example.org")
    hub = open_hub(settings)
    with OaiReplayServer(records, page_size=10) as repo:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
    yield hub
    hub.close()


@pytest.fixture(scope="module")
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub.settings, hub)) as test_client:
        yield test_client


def test_search_answers_304_to_a_current_etag(client: TestClient, records: list[ReplayRecord]) -> None:
    first = client.get("/api/search?size=5")
    etag = first.headers["etag"]
    live, _ = live_and_deleted(records)
    assert first.status_code == 200 and first.json()["total"] == len(live)
    assert first.headers["cache-control"] == "public, max-age=30"
    again = client.get("/api/search?size=5", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get("/api/search?size=6", headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_cors_allows_the_configured_origin_only(client: TestClient) -> None:
    allowed = client.get("/api/search?size=1", headers={"Origin": "https://chm.example.org"})
    assert allowed.headers["access-control-allow-origin"] == "https://chm.example.org"
    assert "etag" in allowed.headers["access-control-expose-headers"].lower()
    stranger = client.get("/api/search?size=1", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in stranger.headers
    preflight = client.options(
        "/api/search",
        headers={"Origin": "https://chm.example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "GET" in preflight.headers["access-control-allow-methods"]


def test_opensearch_description_templates_search(client: TestClient, hub: Hub) -> None:
    answer = client.get("/opensearch.xml")
    assert answer.headers["content-type"].startswith("application/opensearchdescription+xml")
    root = etree.fromstring(answer.content)
    assert root.tag == OS + "OpenSearchDescription"
    assert root.findtext(OS + "ShortName") == hub.settings.hub_name[:16]
    templates = {u.get("type"): str(u.get("template")) for u in root.iter(OS + "Url")}
    assert {"application/json", "application/atom+xml", "application/rss+xml"} <= set(templates)
    stored = next(r for batch in hub.store.iter_resources() for r in batch if r.title)
    word = max(stored.display_title().split(), key=len)
    url = (
        templates["application/json"]
        .replace("{searchTerms}", quote(word))
        .replace("{startPage?}", "1")
        .replace("{count?}", "50")
    )
    found = client.get(url.removeprefix("http://testserver")).json()
    assert stored.id in {r["id"] for r in found["results"]}
    home = client.get("/").text
    assert 'rel="search" type="application/opensearchdescription+xml"' in home


def test_suggest_completes_titles_and_search_marks_the_words(client: TestClient, hub: Hub) -> None:
    resources = [r for batch in hub.store.iter_resources() for r in batch]
    title = next(t for r in resources for t in r.title.values() if len(t.split()[0]) >= 5 and t.isascii())
    prefix = title[:4]
    expected = {t for r in resources for t in r.title.values() if t.casefold().startswith(prefix.casefold())}
    answer = client.get("/api/suggest", params={"q": prefix.upper(), "size": 20}).json()
    assert answer["suggestions"] and set(answer["suggestions"]) <= expected
    if len(expected) <= 20:
        assert set(answer["suggestions"]) == expected
    assert client.get("/api/suggest", params={"q": "zzzqqqxx"}).json()["suggestions"] == []
    word = max(title.split(), key=len).strip(".,:;()[]")
    results = client.get("/api/search", params={"q": word, "size": 50}).json()["results"]
    marked = [r for r in results if "highlights" in r]
    assert marked, "results carry the matched words"
    fragments = [f for r in marked for fs in r["highlights"].values() for f in fs]
    assert any(f"<em>{word.casefold()}</em>" in f.casefold() for f in fragments)
    assert all("<script" not in f for f in fragments)
    assert "highlights" not in client.get("/api/search?size=3").json()["results"][0]


def test_highlights_escape_harvested_markup(hub: Hub) -> None:
    from hub.search.base import SearchQuery
    from hub.search.tantivy_index import TantivyIndex

    stored = next(r for batch in hub.store.iter_resources() for r in batch)
    hostile = stored.model_copy(update={"title": {"en": '<script>alert("x")</script> coral & reef'}})
    index = TantivyIndex(None)
    try:
        index.add([hostile])
        (hit,) = index.search(SearchQuery(text="coral")).hits
        assert hit.highlights["title"] == [
            '&lt;script&gt;alert("x")&lt;/script&gt; <em>coral</em> &amp; reef'
        ]
    finally:
        index.close()


@pytest.mark.parametrize("sort", ["date", "relevance"])
def test_cursor_paging_visits_every_result_once(client: TestClient, sort: str) -> None:
    whole = client.get("/api/search", params={"size": 100, "sort": sort}).json()
    assert 7 < whole["total"] <= 100
    expected = [item["id"] for item in whole["results"]]
    seen: list[str] = []
    params: dict[str, str | int] = {"size": 7, "sort": sort}
    for _ in range(100):
        answer = client.get("/api/search", params=params).json()
        seen.extend(item["id"] for item in answer["results"])
        if "next_cursor" not in answer:
            break
        params = {"size": 7, "sort": sort, "cursor": answer["next_cursor"]}
    assert seen == expected


def test_a_bad_or_foreign_cursor_is_a_400(client: TestClient) -> None:
    cursor = client.get("/api/search", params={"size": 2, "sort": "date"}).json()["next_cursor"]
    payload, _, signature = cursor.partition(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature
    for params, reason in (
        ({"cursor": forged, "sort": "date"}, "bad signature"),
        ({"cursor": cursor, "sort": "relevance"}, "another search"),
        ({"cursor": cursor, "sort": "date", "type": "document"}, "another search"),
        ({"cursor": cursor, "sort": "date", "page": 2}, "either page or cursor"),
        ({"cursor": "garbage", "sort": "date"}, "bad cursor"),
    ):
        answer = client.get("/api/search", params=params)
        assert answer.status_code == 400 and reason in answer.json()["detail"], (params, answer.text)
    assert client.get("/api/search", params={"cursor": cursor, "sort": "date", "size": 5}).status_code == 200
