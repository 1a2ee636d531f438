"""API keys: shown once, stored as a SHA-256 hash, bound to a node and a role, revocable, expiring."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from registry.nodes import subtree
from registry.rights import HUB_ADMIN, ROLES, Principal
from registry.tables import ApiKeyRow, Database, NodeRow

PREFIX = "gkss_"


class ApiKeyError(ValueError):
    """A key that cannot be created or revoked, or is unknown."""


class KeyRefused(PermissionError):
    """A presented key that authenticates nobody (HTTP 401): unknown, wrong, revoked or expired."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as listed: never its secret."""

    id: str
    node_id: str
    role: str
    label: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, at: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "node": self.node_id,
            "role": self.role,
            "label": self.label,
            "state": self.state(datetime.now(UTC)),
            "created_by": self.created_by,
            "created": iso(self.created_at),
            "expires": iso(self.expires_at),
            "revoked": iso(self.revoked_at),
            "last_used": iso(self.last_used_at),
        }


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else (value if value.tzinfo else value.replace(tzinfo=UTC))


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        id=row.id,
        node_id=row.node_id,
        role=row.role,
        label=row.label,
        created_by=row.created_by,
        created_at=_aware(row.created_at) or datetime.now(UTC),
        expires_at=_aware(row.expires_at),
        revoked_at=_aware(row.revoked_at),
        last_used_at=_aware(row.last_used_at),
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    store: Database,
    node_id: str,
    role: str,
    *,
    created_by: str,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the one and only copy of its token."""
    if role not in ROLES:
        raise ApiKeyError(f"role must be one of {', '.join(ROLES)}")
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise ApiKeyError("a key cannot expire in the past")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = ApiKeyRow(
        id=key_id,
        secret_hash=_hash(secret),
        node_id=node_id,
        role=role,
        label=label,
        created_by=created_by,
        created_at=datetime.now(UTC),
        expires_at=expires_at,
    )
    with store.session() as s, s.begin():
        if s.get(NodeRow, node_id) is None:
            raise ApiKeyError(f"no node {node_id!r}")
        s.add(row)
    return _key(row), f"{PREFIX}{key_id}_{secret}"


def get_key(store: Database, key_id: str) -> ApiKey | None:
    with store.session() as s:
        row = s.get(ApiKeyRow, key_id)
        return None if row is None else _key(row)


def list_keys(store: Database) -> list[ApiKey]:
    with store.session() as s:
        return [_key(r) for r in s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id))]


def any_keys(store: Database) -> bool:
    with store.session() as s:
        return s.scalar(select(ApiKeyRow.id).limit(1)) is not None


def revoke_key(store: Database, key_id: str) -> ApiKey:
    with store.session() as s, s.begin():
        row = s.get(ApiKeyRow, key_id)
        if row is None:
            raise ApiKeyError(f"no key {key_id!r}")
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
        return _key(row)


def authenticate(store: Database, token: str) -> Principal:
    """The principal a presented token stands for; KeyRefused says why not, without telling secrets."""
    body = token.removeprefix(PREFIX) if token.startswith(PREFIX) else None
    key_id, _, secret = (body or "").partition("_")
    if not key_id or not secret:
        raise KeyRefused("not a gkss API key")
    now = datetime.now(UTC)
    with store.session() as s, s.begin():
        row = s.get(ApiKeyRow, key_id)
        # Compare against a hash even for an unknown id, so timing does not tell which ids exist.
        expected = row.secret_hash if row is not None else _hash(secrets.token_hex(8))
        if not hmac.compare_digest(_hash(secret), expected) or row is None:
            raise KeyRefused("unknown API key")
        key = _key(row)
        if key.state(now) != "active":
            raise KeyRefused(f"API key {key.id} is {key.state(now)}")
        row.last_used_at = now
    scope = None if key.role == HUB_ADMIN else subtree(store, key.node_id)
    return Principal(actor=f"key:{key.id}", role=key.role, node_id=key.node_id, scope=scope)
