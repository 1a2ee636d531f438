"""Feeds obey robots.txt (RFC 9309): the RFC's own example file on 127.0.0.1; 4xx allows, 5xx refuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harvesters.base import HarvestState
from harvesters.feed import FeedHarvester
from harvesters.http import HttpPolicy
from harvesters.registry import typed_source
from harvesters.robots import ROBOTS, RobotsDisallowed
from tests.support.http_replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RFC_EXAMPLE = (
    FIXTURES / "web" / "rfc9309-example-simple-robots.txt"
).read_bytes()  # User-Agent: * ... Disallow: /example/
FEED = (FIXTURES / "feeds" / "RSSWithComments.xml").read_bytes()
RSS = {"Content-Type": "application/rss+xml"}


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    ROBOTS.clear()
    with ReplayServer() as replay:
        replay.route("/example/news.xml", FEED, headers=RSS)
        replay.route("/publications/news.xml", FEED, headers=RSS)
        yield replay
    ROBOTS.clear()


def _harvest(server: ReplayServer, path: str) -> list[object]:
    spec = typed_source(id="news", protocol="feed", url=server.url + path, options={})
    return list(FeedHarvester(spec, HttpPolicy(max_retries=0)).harvest(HarvestState()))


def test_a_disallowed_feed_is_never_requested(server: ReplayServer) -> None:
    server.route("/robots.txt", RFC_EXAMPLE, headers={"Content-Type": "text/plain"})
    with pytest.raises(RobotsDisallowed, match=r"robots\.txt disallows"):
        _harvest(server, "/example/news.xml")
    assert server.requests_to("/example/news.xml") == []
    assert len(_harvest(server, "/publications/news.xml")) > 0, "an allowed path is harvested"
    assert len(server.requests_to("/robots.txt")) == 1, "robots.txt is read once per site and cached"


@pytest.mark.parametrize("status", [403, 404])
def test_robots_txt_answering_4xx_allows_everything(server: ReplayServer, status: int) -> None:
    server.route("/robots.txt", b"Disallow: /", status=status)
    assert len(_harvest(server, "/example/news.xml")) > 0


def test_robots_txt_answering_5xx_disallows_and_is_asked_again(server: ReplayServer) -> None:
    server.route("/robots.txt", b"", status=503, times=1)
    with pytest.raises(RobotsDisallowed, match=r"could not be read"):
        _harvest(server, "/publications/news.xml")
    assert server.requests_to("/publications/news.xml") == []
    assert len(_harvest(server, "/publications/news.xml")) > 0, "the next run asks again (404 now: allowed)"
