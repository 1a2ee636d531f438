"""Federation's own table (the registered peers) and what federation code needs of a database.

Federation owns this table and all its SQL (``federation/peers.py``); the hub's store creates it
through its Alembic migrations, which read ``metadata`` from here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


class Database(Protocol):
    """Where federation's table lives: anything that opens sessions on it (the hub's Store does)."""

    def session(self) -> Session: ...


class FederationBase(DeclarativeBase):
    """Declarative base of federation's tables."""


metadata = FederationBase.metadata


class PeerRow(FederationBase):
    """A peer hub registered explicitly: where it is, how much it is trusted, what it offers, its breaker."""

    __tablename__ = "peers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    public_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    trust: Mapped[str] = mapped_column(String(20), default="full")
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[str] = mapped_column(String(20), default="new")
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    capabilities: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    probed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_ok_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    breaker_open_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    breaker_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    node_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
