"""The audit log: every administrative action, and every refused attempt at one (registry's tables)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from registry.rights import Principal
from registry.tables import AuditRow, Database


def record(
    store: Database,
    principal: Principal,
    action: str,
    target: str,
    *,
    node_id: str | None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one entry; ``node_id`` is the node the action concerns (whose admins may read it)."""
    with store.session() as s, s.begin():
        s.add(
            AuditRow(
                at=datetime.now(UTC),
                actor=principal.actor,
                role=principal.role,
                node_id=node_id,
                action=action,
                target=target,
                outcome=outcome,
                detail=detail or {},
            )
        )


def entries(
    store: Database, principal: Principal, *, limit: int = 100, node_id: str | None = None
) -> list[dict[str, Any]]:
    """The newest entries the principal may read (its nodes' entries; all for a hub admin)."""
    query = select(AuditRow).order_by(AuditRow.id.desc())
    if principal.scope is not None:
        query = query.where(AuditRow.node_id.in_(sorted(principal.scope)))
    if node_id is not None:
        query = query.where(AuditRow.node_id == node_id)
    with store.session() as s:
        rows = list(s.scalars(query.limit(limit)))
    return [
        {
            "id": r.id,
            "at": (r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC)).isoformat(),
            "actor": r.actor,
            "role": r.role,
            "node": r.node_id,
            "action": r.action,
            "target": r.target,
            "outcome": r.outcome,
            "detail": r.detail,
        }
        for r in rows
    ]
