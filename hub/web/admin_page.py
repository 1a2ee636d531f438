"""The admin page at /admin: sources, their runs, record errors and quality, read over the admin API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from harvesters.registry import PROTOCOLS
from hub.web.embed import asset_response
from hub.web.templates import render


def admin_page_router() -> APIRouter:
    """``/admin`` renders nothing private itself: its script asks the admin API with the admin's key."""
    router = APIRouter(include_in_schema=False)

    @router.get("/admin", response_class=HTMLResponse)
    def admin_page() -> HTMLResponse:
        return render("admin.html", "en", protocols=sorted(PROTOCOLS))

    @router.get("/admin/admin.js")
    def admin_script(request: Request) -> Response:
        return asset_response(request, "admin.js", "text/javascript; charset=utf-8")

    return router
