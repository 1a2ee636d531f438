"""The portal: / (search on the <gkss-search> widget) and /resources/{id} (a record with its provenance)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from hub.context import Hub
from hub.web.i18n import language
from hub.web.templates import render
from normalizers.resource import Resource


def portal_router(current: Callable[[], Hub]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/", response_class=HTMLResponse)
    def home(lang: Annotated[str | None, Query()] = None) -> HTMLResponse:
        hub = current()
        return render("portal.html", language(lang), hub_name=hub.settings.hub_name)

    @router.get("/resources/{resource_id}", response_class=HTMLResponse)
    def resource_page(resource_id: str, lang: Annotated[str | None, Query()] = None) -> HTMLResponse:
        hub = current()
        row = hub.store.get_record(resource_id)
        chosen = language(lang)
        if row is None:
            return render(
                "missing.html", chosen, status=404, scripts=False, resource_id=resource_id, row=None
            )
        if row.deleted or row.resource is None:
            return render("missing.html", chosen, status=410, scripts=False, resource_id=resource_id, row=row)
        resource = Resource.model_validate_json(row.resource)
        return render(
            "resource.html",
            chosen,
            scripts=False,
            hub_name=hub.settings.hub_name,
            resource=resource,
            row=row,
            provenances=[resource.provenance, *resource.merged_provenance],
            oai_identifier=f"oai:{hub.settings.oai_repository_id}:{resource.id}",
        )

    return router
