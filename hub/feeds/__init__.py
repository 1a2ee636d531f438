"""Feeds of the hub's records (Atom 1.0, RSS 2.0, JSON Feed 1.1): ``formats.py`` renders a page,
``pages.py`` selects it and serves /feeds/*, ``discovery.py`` names the WebSub hub they advertise."""

from hub.feeds.formats import (
    ATOM_MEDIA,
    FEED_ID_PARAMS,
    JSON_MEDIA,
    RSS_MEDIA,
    FeedPage,
    Tombstone,
    link_of,
    render_atom,
    render_json,
    render_rss,
    tag_uri,
)
from hub.feeds.pages import feeds_router, load_page

__all__ = [
    "ATOM_MEDIA",
    "FEED_ID_PARAMS",
    "JSON_MEDIA",
    "RSS_MEDIA",
    "FeedPage",
    "Tombstone",
    "feeds_router",
    "link_of",
    "load_page",
    "render_atom",
    "render_json",
    "render_rss",
    "tag_uri",
]
