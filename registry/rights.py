"""Who is asking and what they may touch: roles, and the node subtree a principal is scoped to."""

from __future__ import annotations

from dataclasses import dataclass

HUB_ADMIN = "hub-admin"
NODE_ADMIN = "node-admin"
READER = "reader"
ROLES = (HUB_ADMIN, NODE_ADMIN, READER)


class Forbidden(PermissionError):
    """The principal is known but may not do this (HTTP 403)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: ``scope`` is its node and the nodes below it (None: every node)."""

    actor: str
    role: str
    node_id: str | None
    scope: frozenset[str] | None

    @property
    def is_hub_admin(self) -> bool:
        return self.role == HUB_ADMIN

    def can_read(self, node_id: str | None) -> bool:
        """Reads reach the principal's subtree; things of no node belong to the service (hub admins)."""
        return self.scope is None or (node_id is not None and node_id in self.scope)

    def can_manage(self, node_id: str | None) -> bool:
        return self.role != READER and self.can_read(node_id)

    def require_read(self, node_id: str | None, what: str) -> None:
        if not self.can_read(node_id):
            raise Forbidden(f"{what} belongs to another node")

    def require_manage(self, node_id: str | None, what: str) -> None:
        self.require_read(node_id, what)
        if self.role == READER:
            raise Forbidden(f"readers may not change {what}")


def operator(actor: str) -> Principal:
    """Whoever runs the CLI against the store: a hub admin (they hold the database)."""
    return Principal(actor=actor, role=HUB_ADMIN, node_id=None, scope=None)
