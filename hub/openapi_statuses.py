"""What the OpenAPI document says beyond what FastAPI derives from the routes: every status an operation
can answer (the guard's 413/429, 400 for a parameter out of bounds, 401/403 of the admin API, 404 of a
path naming nothing, ...), the exact form of ids and bounds in the query string, and a 405 whose
``Allow`` lists the methods the document gives the path (Starlette names those of the first route
it matched)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from federation.peers import TRUST_LEVELS
from harvesters.registry import PROTOCOLS
from hub.rate_limit import EXEMPT
from hub.search.results import MAX_PAGE
from registry.node_kinds import KINDS
from registry.nodes import NODE_ID
from registry.rights import ROLES

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

REASONS = {
    "400": "a parameter or the body is out of bounds or names nothing known (the reason is in `detail`)",
    "401": "an API key is required, or the one given is not valid",
    "403": "the key may not do this for that node",
    "404": "nothing by that id",
    "409": "conflicts with what is registered (the reason is in `detail`)",
    "410": "the source deleted it: a tombstone",
    "413": "the request body is over GKSS_MAX_REQUEST_BYTES",
    "429": "too many requests from this client; `Retry-After` says when to come back",
}

EXTRA: dict[tuple[str, str], tuple[str, ...]] = {
    ("post", "/api/admin/sources"): ("409",),
    ("delete", "/api/admin/nodes/{node_id}"): ("409",),
    ("get", "/api/resources/{resource_id}"): ("410",),
}
"""Statuses particular to one operation (the rules below give the rest)."""

ID_PARAMETERS = {"node": NODE_ID.pattern}
"""Query parameters holding ids, with the form an id has."""

ENUMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("KeyIn", "role"): ROLES,
    ("NodeIn", "kind"): KINDS,
    ("SourceIn", "protocol"): tuple(sorted(PROTOCOLS)),
    ("DryRunIn", "protocol"): tuple(sorted(PROTOCOLS)),
    ("PeerIn", "trust"): TRUST_LEVELS,
}
"""Body fields checked in code against a fixed list (anything else: 400 naming the list)."""

NODE_FIELDS = (
    ("SourceIn", "node"),
    ("PeerIn", "node"),
    ("KeyIn", "node"),
    ("NodeIn", "id"),
    ("NodeIn", "parent"),
)
"""Body fields holding a node id (an empty one names no node: outside the schema, not a 400 surprise)."""

MAXIMA = {"page": MAX_PAGE}
"""Query parameters bounded in code (past the bound: 400 with the reason)."""


def statuses_of(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    """The statuses this operation can answer besides those FastAPI documents."""
    found = set(EXTRA.get((method, path), ()))
    if path not in EXEMPT:
        found |= {"413", "429"}
    if operation.get("parameters") or operation.get("requestBody"):
        found.add("400")
    if path.startswith("/api/admin/"):
        found |= {"401", "403"}
    if "{" in path:
        found.add("404")
    return found


def _describe(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.get("components", {}).get("schemas", {})
    for (model, field), values in ENUMS.items():
        if model in components:
            components[model]["properties"][field]["enum"] = list(values)
    for model, field in NODE_FIELDS:
        target = components.get(model, {}).get("properties", {}).get(field)
        for branch in [] if target is None else target.get("anyOf", [target]):
            if branch.get("type") == "string":
                branch["pattern"] = f"^{NODE_ID.pattern}$"
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(statuses_of(method, path, operation)):
                responses.setdefault(status, {"description": REASONS[status]})
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") in MAXIMA:
                    parameter["schema"]["maximum"] = MAXIMA[parameter["name"]]
                pattern = ID_PARAMETERS.get(parameter.get("name", ""))
                if pattern is None or parameter.get("in") != "query":
                    continue
                target = parameter["schema"]
                for branch in target.get("anyOf", [target]):
                    if branch.get("type") == "array":
                        branch["items"] = {"type": "string", "pattern": f"^{pattern}$"}
    return schema


def documented_methods(schema: dict[str, Any], path: str) -> list[str]:
    """The methods the document gives the most specific path template matching ``path`` (a static
    ``/api/admin/sources/probe`` before ``/api/admin/sources/{source_id}``)."""
    found: list[tuple[int, list[str]]] = []
    for template, item in schema.get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            found.append((template.count("{"), sorted(m.upper() for m in item if m in METHODS)))
    return min(found)[1] if found else []


def document_statuses(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document say every status its operations answer, and its 405s name every
    method of the path in ``Allow``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = _describe(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    async def with_allow(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            methods = documented_methods(openapi(), request.url.path)
            if methods:
                exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
        return await http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, with_allow)
