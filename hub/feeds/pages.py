"""A page of a feed: the records and tombstones a feed URL selects, and the /feeds/* routes serving it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from hub.conditional import conditional
from hub.context import Hub
from hub.feeds.discovery import hub_url, link_header
from hub.feeds.formats import (
    ATOM_MEDIA,
    EPOCH,
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
from hub.search.base import SearchQuery
from hub.search.http_params import query_of, search_filters
from hub.search.params import SearchFilters
from hub.store import changes


def load_page(hub: Hub, request: Request, query: SearchQuery, page: int, *, tombstones: bool) -> FeedPage:
    """Run the query (newest first) and gather what every feed format renders."""
    found = hub.index.search(query)
    base_url = str(request.base_url)
    size = query.size
    last = max(1, -(-found.total // size))
    url = request.url

    def at(n: int) -> str:
        return str(url.include_query_params(page=n))

    links = {"self": str(url), "hub": hub_url(base_url), "first": at(1), "last": at(last)}
    if page > 1:
        links["previous"] = at(min(page - 1, last))
    if page < last:
        links["next"] = at(page + 1)
    filters = sorted((k, v) for k, v in request.query_params.multi_items() if k in FEED_ID_PARAMS)
    authority = hub.settings.oai_repository_id
    feed_id = tag_uri(authority, "feed", urlencode(filters) or "all")
    stones = _tombstones(hub, query.source, size) if tombstones and page == 1 else []
    changed = _newest_change(hub, query.source)
    return FeedPage(
        resources=[hit.resource for hit in found.hits],
        tombstones=stones,
        total=found.total,
        page=page,
        size=size,
        self_url=str(url),
        base_url=base_url,
        feed_id=feed_id,
        links=links,
        changed=changed,
    )


def _newest_change(hub: Hub, sources: Sequence[str]) -> datetime:
    """The newest ``changed_at`` of the records of the sources (all when none is named); the epoch if none."""
    newest = changes.newest(hub.store, sources)
    return newest if newest is not None else EPOCH


def _tombstones(hub: Hub, sources: Sequence[str], limit: int) -> list[Tombstone]:
    """The ``limit`` most recent tombstones of the sources (all sources when none is named)."""
    stones = changes.recent_tombstones(hub.store, sources, limit)
    return [Tombstone(id=row.id, source=row.source_id, when=row.changed_at) for row in stones]


# -- the router -----------------------------------------------------------------------------------


def feeds_router(current: Callable[[], Hub]) -> APIRouter:
    """``/feeds/atom``, ``/feeds/rss`` and ``/feeds/json``; ``current`` gives the Hub of the running app."""
    router = APIRouter(prefix="/feeds", tags=["feeds"])

    def serve(request: Request, kind: str, filters: SearchFilters, page: int, size: int) -> Response:
        hub = current()
        query = query_of(filters, sort="date", page=page, size=size, store=hub.store)
        authority = hub.settings.oai_repository_id
        feed = load_page(hub, request, query, page, tombstones=kind == "atom")
        if kind == "atom":
            urls = {s.id: s.url for s in hub.store.list_sources()}
            response = conditional(request, render_atom(feed, authority, urls), ATOM_MEDIA, feed.updated)
        elif kind == "rss":
            response = conditional(request, render_rss(feed, authority), RSS_MEDIA, feed.updated)
        else:
            response = conditional(request, render_json(feed, authority), JSON_MEDIA, feed.updated)
        response.headers["Link"] = link_header(feed.links["hub"], feed.self_url)
        return response

    def route(kind: str, media: str, summary: str) -> None:
        responses: dict[int | str, dict[str, object]] = {
            200: {"content": {media.split(";")[0]: {}}, "description": summary},
            304: {"description": "not modified (If-None-Match / If-Modified-Since)"},
        }

        @router.get(f"/{kind}", response_class=Response, responses=responses, summary=summary)
        def feed(
            request: Request,
            filters: Annotated[SearchFilters, Depends(search_filters)],
            page: Annotated[int, Query(ge=1)] = 1,
            size: Annotated[int, Query(ge=1, le=100)] = 20,
        ) -> Response:
            return serve(request, kind, filters, page, size)

    route("atom", ATOM_MEDIA, "Atom 1.0 feed of the newest resources (search filters)")
    route("rss", RSS_MEDIA, "RSS 2.0 feed of the newest resources (search filters)")
    route("json", JSON_MEDIA, "JSON Feed 1.1 of the newest resources (search filters)")
    return router
