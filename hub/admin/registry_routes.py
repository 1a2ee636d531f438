"""Admin routes for nodes, API keys and the audit log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import BaseModel, Field

from hub.admin.auth import check, done, principal_dependency
from hub.context import Hub
from hub.store.nodes import remove_node
from registry import audit
from registry.keys import ApiKeyError, create_key, get_key, list_keys, revoke_key
from registry.nodes import NodeError, add_node, get_node, list_nodes
from registry.rights import HUB_ADMIN, NODE_ADMIN, READER, Principal


class NodeIn(BaseModel):
    """A node to add: a regional centre under the service, a national node under a centre."""

    id: str
    name: str
    kind: str = Field(description="service, regional or national")
    parent: str | None = None


class KeyIn(BaseModel):
    """A key to create for a node."""

    node: str
    role: str = Field(description="hub-admin, node-admin or reader")
    label: str | None = None
    expires_in_days: float | None = Field(default=None, gt=0, le=3650)


def registry_router(current: Callable[[], Hub]) -> APIRouter:
    """Routes under ``/api/admin``: ``nodes``, ``keys``, ``audit``."""
    authed = principal_dependency(current)
    router = APIRouter(prefix="/api/admin", tags=["admin"])

    @router.get("/nodes")
    def nodes_list(caller: Principal = Depends(authed)) -> list[dict[str, Any]]:
        """The nodes the caller may see (its own and those below it)."""
        return [n.as_json() for n in list_nodes(current().store) if caller.can_read(n.id)]

    @router.post("/nodes", status_code=201)
    def nodes_add(node: NodeIn, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Add a node: hub admins anywhere, node admins below their own node."""
        hub = current()
        check(hub, caller, "node.add", f"node {node.id}", node.parent)
        try:
            created = add_node(hub.store, node.id, node.name, node.kind, node.parent)
        except NodeError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        done(hub, caller, "node.add", f"node {node.id}", node.id, {"kind": node.kind, "parent": node.parent})
        return created.as_json()

    @router.get("/nodes/{node_id}")
    def nodes_get(node_id: str, caller: Principal = Depends(authed)) -> dict[str, Any]:
        hub = current()
        node = get_node(hub.store, node_id)
        if node is None:
            raise HTTPException(status_code=404, detail=f"no node {node_id!r}")
        check(hub, caller, "node.get", f"node {node_id}", node_id, manage=False)
        return node.as_json()

    @router.delete("/nodes/{node_id}", status_code=204)
    def nodes_remove(node_id: str, caller: Principal = Depends(authed)) -> Response:
        """Remove an empty node (no child nodes, sources or peers) below the caller's own."""
        hub = current()
        node = get_node(hub.store, node_id)
        if node is None:
            raise HTTPException(status_code=404, detail=f"no node {node_id!r}")
        check(hub, caller, "node.remove", f"node {node_id}", node.parent_id)  # managed from above
        try:
            remove_node(hub.store, node_id)
        except NodeError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        done(hub, caller, "node.remove", f"node {node_id}", node_id)
        return Response(status_code=204)

    @router.get("/keys")
    def keys_list(caller: Principal = Depends(authed)) -> list[dict[str, Any]]:
        """The keys of the caller's nodes (never their secrets)."""
        return [k.as_json() for k in list_keys(current().store) if caller.can_read(k.node_id)]

    @router.post("/keys", status_code=201)
    def keys_create(key: KeyIn, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Create a key; the response carries its token, shown this once and never again."""
        hub = current()
        check(hub, caller, "key.create", f"key for node {key.node}", key.node, detail={"role": key.role})
        if key.role == HUB_ADMIN and not caller.is_hub_admin:
            check(hub, caller, "key.create", "a hub-admin key", None)
        if key.role not in (HUB_ADMIN, NODE_ADMIN, READER):
            raise HTTPException(status_code=400, detail="role must be hub-admin, node-admin or reader")
        expires = datetime.now(UTC) + timedelta(days=key.expires_in_days) if key.expires_in_days else None
        try:
            created, token = create_key(
                hub.store, key.node, key.role, created_by=caller.actor, label=key.label, expires_at=expires
            )
        except ApiKeyError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        done(hub, caller, "key.create", f"key {created.id}", key.node, {"role": key.role, "label": key.label})
        return {**created.as_json(), "token": token}

    @router.delete("/keys/{key_id}")
    def keys_revoke(key_id: str, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Revoke a key at once; requests made with it get 401 from then on."""
        hub = current()
        key = get_key(hub.store, key_id)
        if key is None:
            raise HTTPException(status_code=404, detail=f"no key {key_id!r}")
        check(hub, caller, "key.revoke", f"key {key_id}", key.node_id)
        if key.role == HUB_ADMIN and not caller.is_hub_admin:
            check(hub, caller, "key.revoke", "a hub-admin key", None)
        revoked = revoke_key(hub.store, key_id)
        done(hub, caller, "key.revoke", f"key {key_id}", key.node_id)
        return revoked.as_json()

    @router.get("/audit")
    def audit_log(
        caller: Principal = Depends(authed),
        node: Annotated[str | None, Query(description="Only this node's entries")] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        """The newest audit entries about the caller's nodes (all of them for a hub admin)."""
        return audit.entries(current().store, caller, limit=limit, node_id=node)

    return router
