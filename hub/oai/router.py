"""The HTTP face of the OAI-PMH provider: GET and POST /oai, and the schema of the gkss format."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from hub.context import Hub
from hub.oai.envelope import MEDIA_TYPE
from hub.oai.provider import OaiProvider
from hub.oai.serializers import GKSS_SCHEMA_PATH, gkss_schema

_MAX_BODY = 64 * 1024
_FORM = "application/x-www-form-urlencoded"
_XML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/xml": {}}, "description": "an OAI-PMH response (errors too: HTTP 200)"}
}


def _pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="replace")


def oai_router(current: Callable[[], Hub]) -> APIRouter:
    """The provider's routes; ``current`` gives the Hub of the running app (one provider per Hub)."""
    router = APIRouter(tags=["OAI-PMH"])
    held: list[tuple[Hub, OaiProvider]] = []
    lock = threading.Lock()

    def provider() -> OaiProvider:
        hub = current()
        with lock:
            if not held or held[0][0] is not hub:
                for _, stale in held:
                    stale.close()
                held[:] = [(hub, OaiProvider(hub))]
            return held[0][1]

    def reply(request: Request, pairs: list[tuple[str, str]]) -> Response:
        base_url = str(request.url.replace(query="", fragment=""))
        # One body per page (a page is at most GKSS_OAI_PAGE_SIZE records): streaming it in 64 KiB
        # chunks through the thread pool cost the server a third and the client a third more CPU.
        body = provider().respond(pairs, base_url, str(request.base_url))
        return Response(body, media_type=MEDIA_TYPE)

    @router.get("/oai", response_class=Response, responses=_XML, summary="OAI-PMH 2.0 (GET)")
    def oai_get(request: Request) -> Response:
        """OAI-PMH 2.0 data provider: `verb` and the verb's arguments in the query string."""
        return reply(request, _pairs(request.url.query))

    @router.post("/oai", response_class=Response, responses=_XML, summary="OAI-PMH 2.0 (POST)")
    async def oai_post(request: Request) -> Response:
        """OAI-PMH 2.0 data provider: arguments in an application/x-www-form-urlencoded body."""
        pairs = _pairs(request.url.query)
        content_type = request.headers.get("content-type", _FORM).split(";", 1)[0].strip().lower()
        if content_type == _FORM:
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > _MAX_BODY:  # not read further: answered as a request without a verb
                    pairs = []
                    break
            else:
                pairs += _pairs(body.decode("utf-8", errors="replace"))
        return await run_in_threadpool(reply, request, pairs)

    @router.get(f"/{GKSS_SCHEMA_PATH}", response_class=Response, include_in_schema=False)
    def gkss_xsd() -> Response:
        """The XML Schema of the gkss metadata format (advertised by ListMetadataFormats)."""
        return Response(gkss_schema(), media_type="application/xml")

    return router
