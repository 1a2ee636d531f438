"""The HTTP API (FastAPI): search, resources, sources, health; OpenAPI at /docs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from federation.api import federation_router, search_branch
from hub.context import Hub, open_hub
from hub.feeds import feeds_router
from hub.oai import oai_router
from hub.results import page_json
from hub.search_params import SearchFilters, query_of, search_filters
from hub.settings import Settings

_HOME = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>gkss-hub</title></head>
<body><h1>gkss-hub</h1>
<p>Federated harvester hub of the Global Knowledge Support Service for Biodiversity.</p>
<ul><li><a href="/api/search">/api/search</a> - search (JSON)</li>
<li><a href="/api/sources">/api/sources</a></li>
<li><a href="/docs">/docs</a> - OpenAPI</li><li><a href="/healthz">/healthz</a></li></ul></body></html>"""


def create_app(settings: Settings | None = None, hub: Hub | None = None) -> FastAPI:
    """Build the app around a Hub (opened from settings when not given)."""
    state: dict[str, Hub] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        state["hub"] = hub or open_hub(settings or Settings())
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
    )

    def current() -> Hub:
        return state["hub"]

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home() -> str:
        return _HOME

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Liveness plus what the hub holds."""
        h = current()
        return {"status": "ok", "records": h.store.count_records(), "indexed": h.index.count()}

    @app.get("/api/search")
    def api_search(
        request: Request,
        filters: Annotated[SearchFilters, Depends(search_filters)],
        sort: Annotated[str, Query(description="relevance or date")] = "relevance",
        page: Annotated[int, Query(ge=1)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 10,
        federated: Annotated[bool, Query(description="Also search every peer hub (see README)")] = False,
    ) -> dict[str, Any]:
        """Search: same parameters and JSON as `gkss search --json`."""
        query = query_of(filters, sort=sort, page=page, size=size)
        if federated:
            return search_branch(current(), query, request)
        return page_json(current().index.search(query), query)

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
    app.include_router(feeds_router(current))
    app.include_router(federation_router(current))
    return app
