"""The embeddable search: /embed/gkss-search.js, the script-free iframe page, snippets for node admins."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from hub.conditional import conditional
from hub.context import Hub
from hub.search.base import FACET_FIELDS
from hub.search.http_params import query_of
from hub.search.results import page_json
from hub.web.embed_state import (
    FIXED_ATTRIBUTES,
    EmbedState,
    UnknownRegion,
    region_countries,
    region_name,
    words,
)
from hub.web.i18n import language
from hub.web.labels import facet_labels, region_label
from hub.web.snippets import snippets
from hub.web.templates import render
from normalizers.vocabularies.regions import regions

ASSET_CACHE = "public, max-age=3600"  # then revalidated with the ETag
PICKERS = ("country", "source", "type", "target", "language")  # fixed filters the snippet page offers


def ordered(facet: str, counts: dict[str, int]) -> list[tuple[str, int]]:
    """A facet's values by count (ties by value), years by recency: what a visitor looks for first."""
    if facet == "year":
        return sorted(counts.items(), key=lambda pair: pair[0], reverse=True)
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))


@cache
def asset(name: str) -> bytes:
    """A built file under hub/web/static (the widget bundle, the pages' stylesheet)."""
    return resources.files("hub.web").joinpath("static", name).read_bytes()


def asset_response(request: Request, name: str, media: str) -> Response:
    headers = {"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
    return conditional(request, asset(name), media, headers=headers)


def source_titles(hub: Hub) -> list[tuple[str, str | None]]:
    """Each registered source's id and ``title`` option (its name, when given)."""
    return [(source.id, source.options.title) for source in hub.store.list_sources()]


def embed_state(request: Request) -> EmbedState:
    """The state an /embed/frame or /embed/snippet request describes; a bad parameter is an HTTP 400."""
    params = request.query_params
    try:
        page = max(1, int(params.get("page", "1")))
        size = min(100, max(1, int(params.get("page-size", "10"))))
    except ValueError:
        raise HTTPException(status_code=400, detail="page and page-size must be numbers") from None
    return EmbedState(
        q=(params.get("q") or "").strip()[:500],
        page=page,
        size=size,
        lang=language(params.get("lang")),
        fixed={
            name: words(params.get(name)) for name in (*FIXED_ATTRIBUTES, "filter-region") if params.get(name)
        },
        picked={facet: params.getlist(facet) for facet in FACET_FIELDS if params.getlist(facet)},
    )


def embed_router(current: Callable[[], Hub]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/embed/gkss-search.js")
    def widget_script(request: Request) -> Response:
        """The <gkss-search> Web Component, built from hub/widget (see README, Embedding the search)."""
        return asset_response(request, "gkss-search.js", "text/javascript; charset=utf-8")

    @router.get("/embed/pages.css")
    def pages_css(request: Request) -> Response:
        return asset_response(request, "pages.css", "text/css; charset=utf-8")

    @router.get("/embed/snippet.js")
    def snippet_script(request: Request) -> Response:
        return asset_response(request, "snippet.js", "text/javascript; charset=utf-8")

    @router.get("/embed/progress.js")
    def progress_script(request: Request) -> Response:
        """The harvest progress panel of the portal and the admin page (polls /api/harvest/progress)."""
        return asset_response(request, "progress.js", "text/javascript; charset=utf-8")

    @router.get("/embed/regions/{region}")
    def region(region: str, lang: Annotated[str, Query()] = "en") -> JSONResponse:
        """The countries of a region, for a widget with ``filter-region``."""
        found = region_countries(region)
        if found is None:
            raise HTTPException(status_code=404, detail=f"unknown region {region!r}")
        return JSONResponse(
            {"id": region, "name": region_name(region, language(lang)), "countries": found},
            headers={"Cache-Control": ASSET_CACHE},
        )

    @router.get("/embed/labels")
    def labels(lang: Annotated[str, Query()] = "en") -> JSONResponse:
        """The names of facet values in ``lang`` (types, countries, regions, GBF goals and targets, languages,
        sources), for the widget to show names instead of codes."""
        names = facet_labels(language(lang), source_titles(current()))
        return JSONResponse(names, headers={"Cache-Control": "public, max-age=300"})

    @router.get("/embed/frame", response_class=HTMLResponse)
    def frame(request: Request) -> HTMLResponse:
        """The search without scripts, for an <iframe>: the same filters as the widget's attributes."""
        state = embed_state(request)
        try:
            filters = state.filters()
        except UnknownRegion as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        hub = current()  # counts estimated where a search matches many (the answer says so)
        query = query_of(
            filters, sort="relevance", page=state.page, size=state.size, counts="estimate", store=hub.store
        )
        answer: dict[str, Any] = page_json(current().index.search(query), query)
        pages = max(1, -(-answer["total"] // state.size))
        return render(
            "frame.html",
            state.lang,
            scripts=False,
            framed=True,
            state=state,
            answer=answer,
            pages=pages,
            facets=[(f, ordered(f, answer["facets"].get(f, {}))) for f in FACET_FIELDS],
            names=facet_labels(state.lang, source_titles(current())),
        )

    @router.get("/embed/snippet", response_class=HTMLResponse)
    def snippet(request: Request) -> HTMLResponse:
        """A form for node admins and the copy-paste snippets (script + element, iframe) it describes."""
        state = embed_state(request)
        hub_url = (request.query_params.get("hub") or str(request.base_url)).rstrip("/")
        region_value = " ".join(state.fixed.get("filter-region", []))
        if region_value and region_countries(region_value) is None:
            raise HTTPException(status_code=400, detail=f"unknown region {region_value!r}")
        choices = sorted(
            (
                (r.slug if r.scheme == "m49" else r.identifier, region_label(r.identifier, state.lang))
                for r in regions().values()
            ),
            key=lambda pair: pair[1],
        )
        names = facet_labels(state.lang, source_titles(current()))
        return render(
            "snippet.html",
            state.lang,
            frames=True,
            state=state,
            hub_url=hub_url,
            preview="/embed/frame?" + state.query_string(),
            regions=choices,
            region=region_value,
            snippet=snippets(hub_url, state),
            pickers={facet: sorted(names[facet].items(), key=lambda pair: pair[1]) for facet in PICKERS},
        )

    return router
