"""The portal: / (what the hub holds, and the search on the <gkss-search> widget) and /resources/{id}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, Query
from fastapi.responses import HTMLResponse

from hub.context import Hub
from hub.search.http_params import query_of
from hub.search.params import SearchFilters
from hub.search.results import page_json
from hub.web.i18n import LANGUAGE_COOKIE, PROGRESS_SCRIPT, chosen_language, script_strings
from hub.web.labels import (
    country_label,
    goal_label,
    language_label,
    region_label,
    source_label,
    target_label,
    type_label,
)
from hub.web.templates import render
from normalizers.resource import Resource

NEWEST = 5
YEAR = 365 * 24 * 3600


def remember(response: HTMLResponse, lang: str, given: str | None) -> HTMLResponse:
    """Keep a language chosen with ``?lang`` for the visitor's next pages."""
    if given:
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=YEAR, samesite="lax", httponly=True)
    return response


def holdings(hub: Hub) -> dict[str, Any]:
    """What the landing page says the hub holds: record count, counts by type and source, newest records."""
    query = query_of(SearchFilters(), sort="date", page=1, size=NEWEST, store=hub.store)
    answer: dict[str, Any] = page_json(hub.index.search(query), query)
    facets = answer.get("facets", {})
    return {
        "total": answer["total"],
        "types": sorted(facets.get("type", {}).items(), key=lambda pair: -pair[1]),
        "sources": sorted(facets.get("source", {}).items(), key=lambda pair: -pair[1]),
        "newest": answer["results"],
    }


def portal_router(current: Callable[[], Hub]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def home(
        lang: Annotated[str | None, Query()] = None,
        gkss_lang: Annotated[str | None, Cookie()] = None,
    ) -> HTMLResponse:
        hub = current()
        chosen = chosen_language(lang, gkss_lang)
        names = {s.id: source_label(s.id, s.options.title) for s in hub.store.list_sources()}
        page = render(
            "portal.html",
            chosen,
            hub_name=hub.settings.hub_name,
            site=hub.settings,
            held=holdings(hub),
            source_names=names,
            label_type=type_label,
            progress_strings=script_strings(chosen, PROGRESS_SCRIPT),
        )
        return remember(page, chosen, lang)

    @router.get("/resources/{resource_id}", response_class=HTMLResponse)
    def resource_page(
        resource_id: str,
        lang: Annotated[str | None, Query()] = None,
        gkss_lang: Annotated[str | None, Cookie()] = None,
    ) -> HTMLResponse:
        hub = current()
        row = hub.store.get_record(resource_id)
        chosen = chosen_language(lang, gkss_lang)
        if row is None:
            return render(
                "missing.html", chosen, status=404, scripts=False, resource_id=resource_id, row=None
            )
        if row.deleted or row.resource is None:
            return render("missing.html", chosen, status=410, scripts=False, resource_id=resource_id, row=row)
        resource = Resource.model_validate_json(row.resource)
        source = hub.store.get_source(resource.source)
        page = render(
            "resource.html",
            chosen,
            scripts=False,
            hub_name=hub.settings.hub_name,
            resource=resource,
            row=row,
            provenances=[resource.provenance, *resource.merged_provenance],
            oai_identifier=f"oai:{hub.settings.oai_repository_id}:{resource.id}",
            source_name=source_label(resource.source, source.options.title if source else None),
            names={
                "type": type_label(resource.type, chosen),
                "countries": [country_label(c, chosen) for c in resource.countries],
                "regions": [region_label(r, chosen) for r in resource.regions],
                "goals": [goal_label(g, chosen) for g in resource.gbf_goals],
                "targets": [target_label(t, chosen) for t in resource.gbf_targets],
                "languages": [language_label(code, chosen) for code in resource.languages],
            },
        )
        return remember(page, chosen, lang)

    return router
