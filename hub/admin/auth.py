"""Who calls the admin API: a bearer API key, the GKSS_ADMIN_TOKEN, or a fresh hub's loopback operator."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request

from hub.context import Hub
from registry import audit
from registry.keys import KeyRefused, any_keys, authenticate
from registry.nodes import list_nodes
from registry.rights import HUB_ADMIN, Forbidden, Principal

LOOPBACK = ("127.0.0.1", "::1")


def unauthorized(reason: str) -> HTTPException:
    return HTTPException(status_code=401, detail=reason, headers={"WWW-Authenticate": "Bearer"})


def principal_of(hub: Hub, request: Request) -> Principal:
    """Authenticate a request (401 when nobody is authenticated).

    With neither GKSS_ADMIN_TOKEN nor any API key yet, a client on the loopback interface is the hub
    admin: how a fresh embedded hub is set up. The first key created ends that."""
    given = request.headers.get("authorization", "")
    token = given[7:].strip() if given[:7].lower() == "bearer " else ""
    settings = hub.settings
    if token:
        if settings.admin_token and hmac.compare_digest(token.encode(), settings.admin_token.encode()):
            return Principal(actor="admin-token", role=HUB_ADMIN, node_id=None, scope=None)
        try:
            return authenticate(hub.store, token)
        except KeyRefused as exc:
            raise unauthorized(str(exc)) from None
    host = request.client.host if request.client else ""
    if host in LOOPBACK and not settings.admin_token and not any_keys(hub.store):
        return Principal(actor="loopback", role=HUB_ADMIN, node_id=None, scope=None)
    raise unauthorized("an API key is required (Authorization: Bearer gkss_...)")


def principal_dependency(current: Callable[[], Hub]) -> Callable[[Request], Principal]:
    """A FastAPI dependency giving the authenticated principal."""

    def dependency(request: Request) -> Principal:
        return principal_of(current(), request)

    return dependency


def owner(hub: Hub, node_id: str | None) -> str | None:
    """The node a thing belongs to: its own, else the service node (what registered it without a node)."""
    if node_id is not None:
        return node_id
    return next((node.id for node in list_nodes(hub.store) if node.kind == "service"), None)


def check(
    hub: Hub,
    principal: Principal,
    action: str,
    target: str,
    node_id: str | None,
    *,
    manage: bool = True,
    detail: dict[str, Any] | None = None,
) -> None:
    """Refuse with 403 (and an audit entry for a refused change) unless the principal may do this."""
    try:
        if manage:
            principal.require_manage(owner(hub, node_id), target)
        else:
            principal.require_read(owner(hub, node_id), target)
    except Forbidden as exc:
        if manage:
            audit.record(
                hub.store, principal, action, target, node_id=node_id, outcome="denied", detail=detail
            )
        raise HTTPException(status_code=403, detail=str(exc)) from None


def done(
    hub: Hub,
    principal: Principal,
    action: str,
    target: str,
    node_id: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write a completed action to the audit log."""
    audit.record(hub.store, principal, action, target, node_id=node_id, detail=detail)
