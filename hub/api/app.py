"""The FastAPI app: search, suggest, resources, sources, health, every router mounted; OpenAPI at /docs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from hub.admin.registry_routes import registry_router
from hub.admin.run_routes import run_router
from hub.admin.source_routes import source_router
from hub.api.answer_cache import SearchAnswerCache, answer_cache, mark_cacheable
from hub.api.federation_routes import federation_router, search_branch
from hub.api.progress_routes import progress_router
from hub.api.serving_gc import settle_for_serving
from hub.cached_value import CachedValue
from hub.conditional import conditional
from hub.context import Hub, open_hub
from hub.feeds import feeds_router
from hub.metrics import metrics_router
from hub.oai import oai_router
from hub.openapi_statuses import document_statuses
from hub.opensearch_description import opensearch_router
from hub.rate_limit import PublicApiGuard
from hub.search.cursor import cursor_after, next_cursor
from hub.search.http_params import query_of, search_filters
from hub.search.params import SearchFilters
from hub.search.results import BadSearchParameter, page_body
from hub.settings import Settings
from hub.web.admin_page import admin_page_router
from hub.web.docs_page import docs_router
from hub.web.embed import embed_router
from hub.web.portal import portal_router
from hub.websub.endpoint import websub_router
from normalizers.search_query import COUNTS_HELP

SEARCH_CACHE_CONTROL = "public, max-age=30"  # then revalidated with the ETag
HEALTH_COUNTS_SECONDS = 1.0  # /healthz counts records and documents at most this often


def create_app(settings: Settings | None = None, hub: Hub | None = None, *, serving: bool = False) -> FastAPI:
    """Build the app around a Hub (opened from settings when not given). ``serving``: this process only
    serves the app (``gkss serve``): its garbage collector is settled for it (hub/api/serving_gc.py)."""
    state: dict[str, Hub] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state["hub"] = hub or open_hub(settings or Settings())
        if serving:  # what exists now lives as long as the process: out of the collector's passes
            settle_for_serving()
        try:
            yield
        finally:
            if hub is None:
                state["hub"].close()

    app = FastAPI(
        title="gkss-hub",
        version="0.1.0",
        description="Federated search over harvested biodiversity knowledge.",
        lifespan=lifespan,
        docs_url=None,  # served by hub.web.docs_page from packaged assets
    )

    def current() -> Hub:
        return state["hub"]

    configured = settings or (hub.settings if hub is not None else Settings())
    origins = [o.strip() for o in configured.cors_origins.split(",") if o.strip()]
    answers = answer_cache()
    app.add_middleware(SearchAnswerCache, index=lambda: current().index, cache=answers)  # innermost
    app.add_middleware(
        PublicApiGuard,
        rate=configured.api_rate,
        burst=configured.api_burst,
        max_body=configured.max_request_bytes,
    )
    if origins:  # sites embedding the search call it from their own origin (read-only, no credentials)
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["If-None-Match", "If-Modified-Since", "Content-Type"],
            expose_headers=["ETag", "Last-Modified"],
            max_age=3600,
        )

    def counts() -> dict[str, Any]:
        h = current()
        return {"status": "ok", "records": h.store.count_records(), "indexed": h.index.count()}

    health = CachedValue(counts, HEALTH_COUNTS_SECONDS)

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness plus what the hub holds (counted at most once a second) and the search answer cache."""
        kept = {"hits": answers.hits, "misses": answers.misses, "answers": len(answers)}
        body = json.dumps({**health.get(), "search_cache": kept}).encode("utf-8")
        return Response(body, media_type="application/json")

    @app.get("/livez")
    def livez() -> Response:
        """Liveness only: no work at all (the floor the search benchmarks compare /api/search with)."""
        return Response(b'{"status":"ok"}', media_type="application/json")

    @app.get(
        "/api/search",
        response_class=Response,
        responses={
            200: {"content": {"application/json": {}}, "description": "a page of results with facets"},
            304: {"description": "not modified (If-None-Match)"},
        },
    )
    async def api_search(
        request: Request,
        filters: Annotated[SearchFilters, Depends(search_filters)],
        sort: Annotated[str, Query(description="relevance or date")] = "relevance",
        page: Annotated[int, Query(ge=1)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 10,
        federated: Annotated[bool, Query(description="Also search every peer hub (see README)")] = False,
        cursor: Annotated[
            str | None, Query(max_length=2000, description="next_cursor of the previous page: deep paging")
        ] = None,
        counts: Annotated[str, Query(max_length=20, description=COUNTS_HELP)] = "exact",
    ) -> Response:
        """Search: same parameters and JSON as `gkss search --json`; ETag, 304 on If-None-Match.
        A full page carries ``next_cursor``; ``cursor=`` continues after it (deep paging at the cost
        of the first page)."""
        asked = (request, filters, sort, page, size, federated, cursor, counts)
        if current().index.capabilities.in_process and not federated and not filters.node:
            return searched(*asked)  # CPU work of this process: no worker thread's GIL hand-offs
        return await run_in_threadpool(searched, *asked)  # network or a store query: off the loop

    def searched(
        request: Request,
        filters: SearchFilters,
        sort: str,
        page: int,
        size: int,
        federated: bool,
        cursor: str | None,
        counts: str = "exact",
    ) -> Response:
        """The search's answer (see ``api_search``), blocking until it is made."""
        hub = current()
        query = query_of(filters, sort=sort, page=page, size=size, counts=counts, store=hub.store)
        if cursor is not None and not federated:
            if page != 1:
                raise HTTPException(status_code=400, detail="give either page or cursor, not both")
            try:
                query = cursor_after(hub.settings, query, cursor)
            except BadSearchParameter as exc:
                raise HTTPException(status_code=400, detail=str(exc)) from None
        answer = search_branch(hub, query, request) if federated else None
        if answer is not None:
            body = json.dumps(answer, ensure_ascii=False).encode("utf-8")
        else:  # not federated, or asked by a hub that is not a verified peer (one-way)
            found = hub.index.search(query)
            more = {}
            if found.hits and len(found.hits) == query.size and found.hits[-1].sort_key:
                more["next_cursor"] = next_cursor(hub.settings, query, found.hits[-1].sort_key)
            body = page_body(found, query, **more)  # encoded once
            if not federated:  # a federated answer depends on who asks (signed headers)
                mark_cacheable(request.state)  # SearchAnswerCache answers this query string again
        return conditional(request, body, "application/json", headers={"Cache-Control": SEARCH_CACHE_CONTROL})

    @app.get("/api/suggest")
    def api_suggest(
        q: Annotated[str, Query(max_length=200, description="what the user has typed so far")] = "",
        size: Annotated[int, Query(ge=1, le=20)] = 10,
    ) -> dict[str, Any]:
        """Titles starting with `q` (case- and accent-insensitive), for a search box's completions."""
        index = current().index
        suggest = getattr(index, "suggest", None)
        found = suggest(q, size) if suggest is not None and index.capabilities.suggest else []
        return {"q": q, "suggestions": found}

    @app.get("/api/resources/{resource_id}")
    def api_resource(resource_id: str) -> JSONResponse:
        """One Resource in the common schema; 410 with a tombstone when the source deleted it."""
        h = current()
        row = h.store.get_record(resource_id)
        if row is None:
            raise HTTPException(status_code=404, detail=f"no resource {resource_id!r}")
        if row.deleted or row.resource is None:
            return JSONResponse(
                status_code=410,
                content={"id": row.id, "deleted": True, "source": row.source_id, "native_id": row.native_id},
            )
        return JSONResponse(content=json.loads(row.resource))

    @app.get("/api/sources")
    def api_sources() -> list[dict[str, Any]]:
        """The registered sources with their record counts."""
        h = current()
        return [
            {"id": s.id, "protocol": s.protocol, "url": s.url, "records": h.store.count_records(s.id)}
            for s in h.store.list_sources()
        ]

    app.include_router(oai_router(current))
    app.include_router(opensearch_router(lambda: current().settings))
    app.include_router(feeds_router(current))
    app.include_router(metrics_router(current))
    app.include_router(federation_router(current))
    app.include_router(registry_router(current))
    app.include_router(source_router(current))
    app.include_router(run_router(current))
    app.include_router(progress_router(current))
    app.include_router(portal_router(current))
    app.include_router(embed_router(current))
    app.include_router(admin_page_router(current))
    app.include_router(docs_router(current, app.openapi_url or "/openapi.json"))
    app.include_router(websub_router(current))
    document_statuses(app)
    return app
