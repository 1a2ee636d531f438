"""FeedHarvester over HTTP: conditional GET, redirects and relative links, malformed bodies, HTTP
errors, size caps, bombs and slow servers."""

from __future__ import annotations

import json
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from lxml import etree

from harvesters.errors import (
    ConfigurationError,
    HarvestError,
    MalformedResponse,
    ProtocolError,
    ResponseTooLarge,
    TransientError,
)
from harvesters.http import HttpPolicy
from harvesters.records import RawRecord
from normalizers.feed_entry import normalize_feed_entry
from tests.harvesters.feed.support import (
    ATOM10,
    FIXTURES,
    POLICY,
    XML_TYPE,
    _no_sleep,
    check_entries,
    expected_xml,
    harvest,
    squash,
    title_of,
)
from tests.support.http_replay import ReplayServer


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
