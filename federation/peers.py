"""The peers registry: explicitly registered hubs, their capabilities cache and breaker state (own table)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from federation.tables import Database, PeerRow

PEER_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
TRUST_LEVELS = ("full", "search", "replicate")


class PeerError(ValueError):
    """A peer that cannot be registered or is unknown."""


def now() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    return None if value is None else (value.replace(tzinfo=UTC) if value.tzinfo is None else value)


@dataclass(frozen=True, slots=True)
class Peer:
    """A peer as the fan-out and the API see it."""

    id: str
    url: str
    name: str | None
    public_key: str | None
    trust: str
    weight: float
    status: str
    status_reason: str | None
    capabilities: dict[str, Any]
    probed_at: datetime | None
    last_ok_at: datetime | None
    failures: int
    breaker_open_until: datetime | None
    breaker_reason: str | None
    node_id: str | None = None

    def suspended(self, at: datetime) -> bool:
        return self.breaker_open_until is not None and self.breaker_open_until > at

    def as_json(self) -> dict[str, Any]:
        stamp = now()
        return {
            "id": self.id,
            "url": self.url,
            "name": self.name,
            "public_key": self.public_key,
            "node": self.node_id,
            "trust": self.trust,
            "weight": self.weight,
            "status": self.status,
            "status_reason": self.status_reason,
            "capabilities": self.capabilities,
            "probed_at": self.probed_at.isoformat() if self.probed_at else None,
            "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
            "breaker": {
                "state": "open"
                if self.suspended(stamp)
                else ("closed" if self.failures == 0 else "half-open"),
                "failures": self.failures,
                "open_until": self.breaker_open_until.isoformat() if self.breaker_open_until else None,
                "reason": self.breaker_reason,
            },
        }


def _peer(row: PeerRow) -> Peer:
    return Peer(
        id=row.id,
        url=row.url,
        name=row.name,
        public_key=row.public_key,
        trust=row.trust,
        weight=row.weight,
        status=row.status,
        status_reason=row.status_reason,
        capabilities=dict(row.capabilities or {}),
        probed_at=aware(row.probed_at),
        last_ok_at=aware(row.last_ok_at),
        failures=row.failures,
        breaker_open_until=aware(row.breaker_open_until),
        breaker_reason=row.breaker_reason,
        node_id=row.node_id,
    )


def normalise_url(url: str) -> str:
    """A peer's base URL (where ``/.well-known/gkss-hub`` lives), without a trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise PeerError(f"peer URL must be an absolute http(s) base URL, got {url!r}")
    return url.strip().rstrip("/")


def add_peer(
    store: Database,
    peer_id: str,
    url: str,
    *,
    trust: str = "full",
    weight: float = 1.0,
    public_key: str | None = None,
    node_id: str | None = None,
) -> Peer:
    if not PEER_ID.fullmatch(peer_id):
        raise PeerError(f"peer id {peer_id!r} must match {PEER_ID.pattern}")
    if trust not in TRUST_LEVELS:
        raise PeerError(f"trust must be one of {', '.join(TRUST_LEVELS)}")
    if not 0 < weight <= 100:
        raise PeerError("weight must be > 0 and <= 100")
    row = PeerRow(
        id=peer_id,
        url=normalise_url(url),
        public_key=public_key,
        trust=trust,
        weight=weight,
        status="new",
        capabilities={},
        failures=0,
        node_id=node_id,
        created_at=now(),
    )
    with store.session() as s, s.begin():
        if s.get(PeerRow, peer_id) is not None:
            raise PeerError(f"peer {peer_id!r} is already registered")
        s.add(row)
    return _peer(row)


def get_peer(store: Database, peer_id: str) -> Peer | None:
    with store.session() as s:
        row = s.get(PeerRow, peer_id)
        return None if row is None else _peer(row)


def list_peers(store: Database) -> list[Peer]:
    with store.session() as s:
        return [_peer(row) for row in s.scalars(select(PeerRow).order_by(PeerRow.id))]


def remove_peer(store: Database, peer_id: str) -> bool:
    with store.session() as s, s.begin():
        row = s.get(PeerRow, peer_id)
        if row is None:
            return False
        s.delete(row)
        return True


def node_holdings(session: Session, node_id: str) -> dict[str, int]:
    """How many peers belong to the node, counted in the caller's transaction (the registry's
    ``remove_node`` refuses to remove a node that still holds some)."""
    return {"peers": session.scalar(select(func.count()).where(PeerRow.node_id == node_id)) or 0}


def known_keys(store: Database) -> dict[str, str]:
    """Peer id -> pinned public key, for verifying signed requests."""
    with store.session() as s:
        rows = s.execute(select(PeerRow.id, PeerRow.public_key).where(PeerRow.public_key.is_not(None)))
        return {peer_id: key for peer_id, key in rows if key}


def record_probe(
    store: Database,
    peer_id: str,
    *,
    ok: bool,
    reason: str | None,
    capabilities: dict[str, Any] | None = None,
    public_key: str | None = None,
    name: str | None = None,
) -> None:
    """Write a probe's outcome; a failed probe keeps the last known good capabilities."""
    stamp = now()
    values: dict[str, Any] = {"probed_at": stamp, "status": "up" if ok else "down", "status_reason": reason}
    if ok:
        values["last_ok_at"] = stamp
        if capabilities is not None:
            values["capabilities"] = capabilities
        if name is not None:
            values["name"] = name
    with store.session() as s, s.begin():
        s.execute(update(PeerRow).where(PeerRow.id == peer_id).values(**values))
        if ok and public_key is not None:
            s.execute(
                update(PeerRow)
                .where(PeerRow.id == peer_id, PeerRow.public_key.is_(None))
                .values(public_key=public_key)
            )


def record_call(
    store: Database, peer_id: str, *, ok: bool, reason: str | None, threshold: int, cooldown: float
) -> None:
    """The circuit breaker, in the store so every API worker shares it: ``threshold`` failures in a row
    open it for ``cooldown`` seconds; the next call after that is a trial that closes or re-opens it.
    Each change is one atomic UPDATE, so concurrent workers never lose a failure."""
    where = PeerRow.id == peer_id
    with store.session() as s, s.begin():
        if ok:
            s.execute(
                update(PeerRow).where(where).values(failures=0, breaker_open_until=None, breaker_reason=None)
            )
            return
        failures = s.scalar(
            update(PeerRow)
            .where(where)
            .values(failures=PeerRow.failures + 1, breaker_reason=f"last failure: {reason}")
            .returning(PeerRow.failures)
        )  # the reason is kept for the admin API: a search answer names no network detail
        if failures is not None and failures >= threshold:
            s.execute(
                update(PeerRow)
                .where(where)
                .values(
                    breaker_open_until=now() + timedelta(seconds=cooldown),
                    breaker_reason=f"{failures} failures in a row, last: {reason}",
                )
            )
