"""/docs (Swagger UI 5) from assets packaged with the hub (the swagger-ui-py wheel), the favicon and the
operator's logo: none of the hub's pages asks anything of another host."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from hub.conditional import conditional
from hub.context import Hub
from hub.web.embed import ASSET_CACHE, asset_response

SWAGGER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")
LOGO_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@cache
def swagger_asset(name: str) -> bytes:
    import swagger_ui

    return Path(swagger_ui.__file__).parent.joinpath("static", name).read_bytes()


def docs_router(current: Callable[[], Hub], openapi_url: str) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        """The API's reference (Swagger UI), every asset served by this hub."""
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="gkss-hub API",
            swagger_js_url="/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/docs/assets/swagger-ui.css",
            swagger_favicon_url="/favicon.svg",
        )

    @router.get("/docs/assets/{name}")
    def docs_asset(name: str, request: Request) -> Response:
        if name not in SWAGGER_ASSETS:
            raise HTTPException(status_code=404, detail="no such asset")
        media = mimetypes.guess_type(name)[0] or "application/octet-stream"
        headers = {"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
        return conditional(request, swagger_asset(name), media, headers=headers)

    @router.get("/favicon.svg")
    @router.get("/favicon.ico")
    def favicon(request: Request) -> Response:
        return asset_response(request, "favicon.svg", "image/svg+xml")

    @router.get("/logo")
    def logo(request: Request) -> Response:
        """The operator's logo (``GKSS_LOGO_FILE``) for the landing page; 404 when none is set."""
        path = current().settings.logo_file
        media = LOGO_TYPES.get(path.suffix.lower()) if path else None
        if path is None or media is None or not path.is_file():
            raise HTTPException(status_code=404, detail="no logo configured")
        headers = {"Cache-Control": ASSET_CACHE, "X-Content-Type-Options": "nosniff"}
        return conditional(request, path.read_bytes(), media, headers=headers)

    return router
