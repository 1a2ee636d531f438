"""The admin page at /admin: sources, their runs, record errors and quality, read over the admin API,
in the visitor's language (``?lang``, kept across pages like the portal's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Cookie, Query, Request, Response
from fastapi.responses import HTMLResponse

from harvesters.registry import PROTOCOLS
from hub.context import Hub
from hub.web.embed import asset_response
from hub.web.i18n import ADMIN_SCRIPT, PROGRESS_SCRIPT, chosen_language, script_strings
from hub.web.portal import remember
from hub.web.templates import render


def admin_page_router(current: Callable[[], Hub]) -> APIRouter:
    """``/admin`` renders nothing private itself: its script asks the admin API with the admin's key."""
    router = APIRouter(include_in_schema=False)

    @router.get("/admin", response_class=HTMLResponse)
    def admin_page(
        lang: Annotated[str | None, Query()] = None,
        gkss_lang: Annotated[str | None, Cookie()] = None,
    ) -> HTMLResponse:
        chosen = chosen_language(lang, gkss_lang)
        settings = current().settings
        page = render(
            "admin.html",
            chosen,
            hub_name=settings.hub_name,
            site=settings,
            protocols=sorted(PROTOCOLS),
            js_strings=script_strings(chosen, ADMIN_SCRIPT),
            progress_strings=script_strings(chosen, PROGRESS_SCRIPT),
        )
        return remember(page, chosen, lang)

    @router.get("/admin/admin.js")
    def admin_script(request: Request) -> Response:
        return asset_response(request, "admin.js", "text/javascript; charset=utf-8")

    return router
