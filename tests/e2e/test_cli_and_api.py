"""The `gkss` command and the HTTP API as a user meets them: real processes, real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.support.http_replay import ReplayServer
from tests.support.oai_replay import OaiReplayServer, load_real_records

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
GKSS = [sys.executable, "-m", "hub"]


def gkss(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GKSS_HOME": str(home), "GKSS_HTTP_MAX_RETRIES": "0"}
    result = subprocess.run([*GKSS, *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"gkss {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def _rss_items(body: bytes) -> list[tuple[str, str]]:
    """(title, link) of each RSS 2.0 item, read with lxml."""
    root = etree.fromstring(body)
    return [
        ((i.findtext("title") or "").strip(), (i.findtext("link") or "").strip()) for i in root.iter("item")
    ]


@pytest.fixture(scope="module")
def feed_server() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        body = (FEEDS / "RSSWithComments.xml").read_bytes()
        server.route("/news.xml", body, headers={"Content-Type": "application/rss+xml"}, etag='"v1"')
        page = (FEEDS / "Event.003.html").read_bytes()
        server.route("/broken.xml", page, headers={"Content-Type": "text/html"})
        yield server


def test_sources_harvest_search_round_trip(tmp_path: Path, feed_server: ReplayServer) -> None:
    home = tmp_path / "home"
    items = _rss_items((FEEDS / "RSSWithComments.xml").read_bytes())
    assert items
    gkss(home, "sources", "add", "news", "--protocol", "feed", "--url", feed_server.url + "/news.xml")
    listed = json.loads(gkss(home, "sources", "list", "--json").stdout)
    assert [s["id"] for s in listed] == ["news"]

    run = gkss(home, "harvest", "news")
    assert f"added={len(items)}" in run.stderr

    title, link = items[0]
    word = max(title.split(), key=len)
    found = json.loads(gkss(home, "search", word, "--json", "--size", "50").stdout)
    assert found["total"] >= 1
    assert any(r["title"] == title and r["url"] == link for r in found["results"])
    assert all(set(r) >= {"id", "title", "url", "source", "type", "date"} for r in found["results"])

    everything = json.loads(gkss(home, "search", "--json", "--size", "100").stdout)
    assert everything["total"] == len(items)
    assert sorted((r["title"], r["url"]) for r in everything["results"]) == sorted(items)

    again = gkss(home, "harvest", "news")
    assert "not modified" in again.stderr
    assert feed_server.requests_to("/news.xml")[-1].headers.get("if-none-match") == '"v1"'


def test_a_sources_country_reaches_its_records_that_name_none(
    tmp_path: Path, feed_server: ReplayServer
) -> None:
    home = tmp_path / "home"
    items = _rss_items((FEEDS / "RSSWithComments.xml").read_bytes())
    url = feed_server.url + "/news.xml"
    gkss(home, "sources", "add", "ke-news", "--protocol", "feed", "--url", url, "--option", "country=KE")
    gkss(home, "harvest", "ke-news")
    kenyan = json.loads(gkss(home, "search", "--country", "KE", "--json", "--size", "100").stdout)
    assert kenyan["total"] == len(items), "every item of a Kenyan node's feed is about Kenya unless it says"


def test_failed_run_exits_non_zero_and_is_readable(tmp_path: Path, feed_server: ReplayServer) -> None:
    home = tmp_path / "home"
    gkss(home, "sources", "add", "broken", "--protocol", "feed", "--url", feed_server.url + "/broken.xml")
    result = gkss(home, "harvest", "broken", check=False)
    assert result.returncode == 1
    runs = json.loads(gkss(home, "runs", "broken", "--json").stdout)
    assert runs[0]["status"] == "failed"
    assert "MalformedResponse" in runs[0]["error"]


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    bad_url = gkss(
        home, "sources", "add", "x", "--protocol", "feed", "--url", "ftp://example.org/", check=False
    )
    assert bad_url.returncode == 2 and "http" in bad_url.stderr
    bad_protocol = gkss(
        home, "sources", "add", "x", "--protocol", "gopher", "--url", "http://127.0.0.1/", check=False
    )
    assert bad_protocol.returncode == 2 and "unknown protocol" in bad_protocol.stderr
    bad_target = gkss(home, "search", "--target", "99", check=False)
    assert bad_target.returncode == 2 and "GBF target" in bad_target.stderr
    unknown = gkss(home, "harvest", "nope", check=False)
    assert unknown.returncode == 2


def test_update_and_remove(tmp_path: Path, feed_server: ReplayServer) -> None:
    home = tmp_path / "home"
    gkss(home, "sources", "add", "news", "--protocol", "feed", "--url", feed_server.url + "/broken.xml")
    gkss(home, "sources", "update", "news", "--url", feed_server.url + "/news.xml")
    gkss(home, "harvest", "news")
    assert json.loads(gkss(home, "search", "--json").stdout)["total"] > 0
    gkss(home, "sources", "remove", "news")
    assert json.loads(gkss(home, "search", "--json").stdout)["total"] == 0
    assert json.loads(gkss(home, "sources", "list", "--json").stdout) == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_search_resources_and_health(tmp_path: Path) -> None:
    home = tmp_path / "home"
    records = load_real_records()
    live = [r for r in records if r.identifier and not r.deleted and r.metadata]
    with OaiReplayServer(records, page_size=10) as oai:
        gkss(home, "sources", "add", "repo", "--protocol", "oai-pmh", "--url", oai.url)
        gkss(home, "harvest", "repo")
    port = _free_port()
    env = {**os.environ, "GKSS_HOME": str(home)}
    server = subprocess.Popen(
        [*GKSS, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        counts = health.json()
        assert counts.pop("search_cache") == {"hits": 0, "misses": 0, "answers": 0}, "nothing searched yet"
        assert counts == {"status": "ok", "records": len(live), "indexed": len(live)}
        page = httpx.get(base + "/api/search", params={"size": 100}).json()
        assert page["total"] == len(live)
        first = page["results"][0]
        resource = httpx.get(base + f"/api/resources/{first['id']}").json()
        assert resource["id"] == first["id"] and resource["source"] == "repo"
        assert httpx.get(base + "/api/resources/nope").status_code == 404
        assert httpx.get(base + "/api/search", params={"target": "x"}).status_code == 400
        assert httpx.get(base + "/docs").status_code == 200
        assert "/api/search" in httpx.get(base + "/openapi.json").json()["paths"]
    finally:
        server.terminate()
        server.wait(timeout=10)
