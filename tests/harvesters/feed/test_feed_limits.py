"""FeedHarvester's entry limit: max_entries keeps the first entries and notes the cut; a large feed is
read in slices."""

from __future__ import annotations

import io

import feedparser
import httpx
import pytest

from harvesters.base import HarvestState
from harvesters.feed import FeedHarvester
from harvesters.registry import typed_source
from tests.harvesters.feed.support import (
    FIXTURES,
    POLICY,
    harvest,
)
from tests.support.http_replay import ReplayServer


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("RSSWithComments.xml", "application/rss+xml"), ("jsonfeed_elastic_1.1.json", "application/feed+json")],
)
def test_max_entries_keeps_the_first_entries_and_notes_the_cut(
    server: ReplayServer, client: httpx.Client, name: str, content_type: str
) -> None:
    body = (FIXTURES / name).read_bytes()
    url = server.url + "/capped/" + name
    server.route("/capped/" + name, body, headers={"Content-Type": content_type})
    every, _ = harvest(url, client)
    total = len(every)
    assert total >= 3, "the fixture has entries enough to cut"
    limit = total - 1
    state = HarvestState()
    spec = typed_source("src", "feed", url, {"max_entries": limit})
    kept = list(FeedHarvester(spec, POLICY, client).harvest(state))
    assert [i.native_id for i in kept] == [i.native_id for i in every[:limit]]  # document order
    assert any(f"the feed has {total} entries; the first {limit} were kept" in note for note in state.notes)
    quiet = HarvestState()
    list(
        FeedHarvester(typed_source("src", "feed", url, {"max_entries": total}), POLICY, client).harvest(quiet)
    )
    assert not any("were kept" in note for note in quiet.notes)


def test_a_large_feed_is_read_in_slices_with_every_entry_as_a_whole_read_gives(
    server: ReplayServer, client: httpx.Client
) -> None:
    from harvesters.feed import CHUNK

    source = (FIXTURES / "RSSWithComments.xml").read_bytes()
    head, rest = source.split(b"<item>", 1)
    items = [
        b"<item>" + part.split(b"</item>", 1)[0] + b"</item>"
        for part in (b"<item>" + rest).split(b"<item>")[1:]
    ]
    tail = source[source.rindex(b"</item>") + len(b"</item>") :]
    n = 2 * CHUNK + 7  # three slices
    many = [items[i % len(items)].replace(b"<item>", b"<item><guid>g-%d</guid>" % i, 1) for i in range(n)]
    body = head + b"\n".join(many) + tail
    server.route("/many.xml", body, headers={"Content-Type": "application/rss+xml"})
    got, _ = harvest(server.url + "/many.xml", client, policy=POLICY)
    whole = feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": server.url + "/many.xml"}
    )
    expected = [entry.get("id") for entry in whole.entries]
    assert len(expected) == n
    assert [i.native_id for i in got] == expected  # every entry, in document order, none twice
    capped = HarvestState()
    spec = typed_source("src", "feed", server.url + "/many.xml", {"max_entries": CHUNK + 3})
    kept = list(FeedHarvester(spec, POLICY, client).harvest(capped))
    assert [i.native_id for i in kept] == expected[: CHUNK + 3]
    assert any(f"the feed has {n} entries; the first {CHUNK + 3} were kept" in note for note in capped.notes)
