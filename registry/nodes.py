"""The node hierarchy: the service, its regional centres and their national nodes (registry's tables)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from registry.node_kinds import CHILD_KIND, KINDS
from registry.tables import ApiKeyRow, Database, NodeRow

NODE_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")


class NodeError(ValueError):
    """A node that cannot be created or removed, or is unknown."""


@dataclass(frozen=True, slots=True)
class Node:
    """A node as the API shows it."""

    id: str
    name: str
    kind: str
    parent_id: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "parent": self.parent_id,
            "created": self.created_at.isoformat(),
        }


def _node(row: NodeRow) -> Node:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return Node(id=row.id, name=row.name, kind=row.kind, parent_id=row.parent_id, created_at=created)


def add_node(store: Database, node_id: str, name: str, kind: str, parent_id: str | None = None) -> Node:
    """Add a node: the service has no parent; a regional centre sits under the service, a national node
    under a regional centre."""
    if not NODE_ID.fullmatch(node_id):
        raise NodeError(f"node id {node_id!r} must match {NODE_ID.pattern}")
    if kind not in KINDS:
        raise NodeError(f"node kind must be one of {', '.join(KINDS)}")
    with store.session() as s, s.begin():
        if s.get(NodeRow, node_id) is not None:
            raise NodeError(f"node {node_id!r} already exists")
        if kind == "service":
            if parent_id is not None:
                raise NodeError("the service node has no parent")
        else:
            parent = s.get(NodeRow, parent_id) if parent_id else None
            if parent is None:
                raise NodeError(f"a {kind} node needs an existing parent node (got {parent_id!r})")
            if CHILD_KIND.get(parent.kind) != kind:
                raise NodeError(f"a {kind} node cannot sit under a {parent.kind} node")
        row = NodeRow(id=node_id, name=name, kind=kind, parent_id=parent_id, created_at=datetime.now(UTC))
        s.add(row)
    return _node(row)


def get_node(store: Database, node_id: str) -> Node | None:
    with store.session() as s:
        row = s.get(NodeRow, node_id)
        return None if row is None else _node(row)


def list_nodes(store: Database) -> list[Node]:
    with store.session() as s:
        return [_node(r) for r in s.scalars(select(NodeRow).order_by(NodeRow.id))]


def subtree(store: Database, node_id: str) -> frozenset[str]:
    """The node and every node below it."""
    children: dict[str | None, list[str]] = {}
    for node in list_nodes(store):
        children.setdefault(node.parent_id, []).append(node.id)
    found, todo = {node_id}, [node_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return frozenset(found)


# What else a node holds, counted in the removal's own transaction: ``{"sources": 2}``. The packages
# that own those tables (the hub's sources, federation's peers) provide them; the hub passes them in.
Holdings = Callable[[Session, str], Mapping[str, int]]


def remove_node(store: Database, node_id: str, holdings: Sequence[Holdings] = ()) -> None:
    """Remove a node that holds nothing: no child nodes, nor anything ``holdings`` count (sources,
    peers); its keys go with it."""
    with store.session() as s, s.begin():
        if s.get(NodeRow, node_id) is None:
            raise NodeError(f"no node {node_id!r}")
        held = {"child nodes": s.scalar(select(func.count()).where(NodeRow.parent_id == node_id))}
        for holding in holdings:
            held.update(holding(s, node_id))
        busy = [f"{n} {what}" for what, n in held.items() if n]
        if busy:
            raise NodeError(f"node {node_id!r} still holds {', '.join(busy)}")
        for key in s.scalars(select(ApiKeyRow).where(ApiKeyRow.node_id == node_id)):
            s.delete(key)
        s.delete(s.get(NodeRow, node_id))


def node_scope(store: Database, nodes: Iterable[str]) -> frozenset[str]:
    """These nodes and every node below them; raises NodeError for an unknown node."""
    scope: set[str] = set()
    for node_id in nodes:
        if get_node(store, node_id) is None:
            raise NodeError(f"unknown node {node_id!r}")
        scope |= subtree(store, node_id)
    return frozenset(scope)
