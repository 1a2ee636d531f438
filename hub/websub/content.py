"""The document pushed for a topic (WebSub 7): the topic's feed format holding only the changed entries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from hub.feeds import (
    ATOM_MEDIA,
    FEED_ID_PARAMS,
    JSON_MEDIA,
    RSS_MEDIA,
    FeedPage,
    Tombstone,
    render_atom,
    render_json,
    render_rss,
    tag_uri,
)
from hub.feeds.discovery import hub_url, link_header
from normalizers.resource import Resource


@dataclass(frozen=True, slots=True)
class Push:
    """A body to POST to one callback, with its content type and ``Link`` header."""

    body: bytes
    media_type: str
    link: str


def push_for(
    topic: str,
    resources: Sequence[Resource],
    authority: str,
    source_urls: dict[str, str],
    tombstones: Sequence[Tombstone] = (),
) -> Push:
    """Render the topic's format (``/feeds/atom|rss|json``) with just ``resources`` (and, in Atom, the
    deletions as RFC 6721 tombstones), linking hub and self."""
    parts = urlsplit(topic)
    base_url = f"{parts.scheme}://{parts.netloc}/"
    hub = hub_url(base_url)
    filters = sorted((k, v) for k, v in parse_qsl(parts.query) if k in FEED_ID_PARAMS)
    feed = FeedPage(
        resources=list(resources),
        tombstones=list(tombstones),
        total=len(resources),
        page=1,
        size=max(1, len(resources)),
        self_url=topic,
        base_url=base_url,
        feed_id=tag_uri(authority, "feed", urlencode(filters) or "all"),
        links={"self": topic, "hub": hub},
        changed=datetime.now(UTC),
    )
    kind = parts.path.rsplit("/", 1)[-1]
    if kind == "atom":
        body, media = render_atom(feed, authority, source_urls), ATOM_MEDIA
    elif kind == "rss":
        body, media = render_rss(feed, authority), RSS_MEDIA
    else:
        body, media = render_json(feed, authority), JSON_MEDIA
    return Push(body=body, media_type=media, link=link_header(hub, topic))
