"""Stored WebSub subscriptions (the websub_subscriptions table and all its SQL): subscribe (or renew),
unsubscribe, list the ones whose lease runs, note each delivery's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from hub.store.models import WebSubSubscriptionRow
from hub.store.store import Store


@dataclass(frozen=True, slots=True)
class Subscription:
    """A verified subscription as the hub holds it."""

    callback: str
    topic: str
    secret: str | None
    lease_seconds: int
    expires_at: datetime
    last_status: str | None
    failures: int


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _subscription(row: WebSubSubscriptionRow) -> Subscription:
    return Subscription(
        callback=row.callback,
        topic=row.topic,
        secret=row.secret,
        lease_seconds=row.lease_seconds,
        expires_at=_aware(row.expires_at),
        last_status=row.last_status,
        failures=row.failures,
    )


def subscribe(
    store: Store, callback: str, topic: str, secret: str | None, lease_seconds: int
) -> Subscription:
    """Store a verified subscription; re-subscribing renews the lease and replaces the secret."""
    moment = datetime.now(UTC)
    with store.session() as s, s.begin():
        row = s.scalars(
            select(WebSubSubscriptionRow).where(
                WebSubSubscriptionRow.callback == callback, WebSubSubscriptionRow.topic == topic
            )
        ).first()
        if row is None:
            row = WebSubSubscriptionRow(callback=callback, topic=topic, created_at=moment, failures=0)
            s.add(row)
        row.secret = secret
        row.lease_seconds = lease_seconds
        row.expires_at = moment + timedelta(seconds=lease_seconds)
        s.flush()
        return _subscription(row)


def unsubscribe(store: Store, callback: str, topic: str) -> bool:
    """Forget a subscription; False when there was none."""
    with store.session() as s, s.begin():
        gone = s.execute(
            delete(WebSubSubscriptionRow).where(
                WebSubSubscriptionRow.callback == callback, WebSubSubscriptionRow.topic == topic
            )
        )
        return bool(getattr(gone, "rowcount", 0))


def any_subscription(store: Store) -> bool:
    """Whether any subscription is stored (one indexed row read: cheap enough for the harvest path)."""
    with store.session() as s:
        return s.scalars(select(WebSubSubscriptionRow.id).limit(1)).first() is not None


def listing(store: Store) -> list[Subscription]:
    """Every stored subscription, expired ones included until purged, oldest first."""
    with store.session() as s:
        return [
            _subscription(row)
            for row in s.scalars(select(WebSubSubscriptionRow).order_by(WebSubSubscriptionRow.id))
        ]


def active(store: Store, at: datetime | None = None) -> list[Subscription]:
    """Subscriptions whose lease has not expired at ``at`` (now), oldest first."""
    moment = at or datetime.now(UTC)
    return [sub for sub in listing(store) if sub.expires_at > moment]


def purge_expired(store: Store, at: datetime | None = None) -> int:
    """Delete the subscriptions whose lease has expired; how many."""
    moment = at or datetime.now(UTC)
    with store.session() as s, s.begin():
        rows = list(s.scalars(select(WebSubSubscriptionRow)))
        expired = [row for row in rows if _aware(row.expires_at) <= moment]
        for row in expired:
            s.delete(row)
        return len(expired)


def record_delivery(store: Store, callback: str, topic: str, status: str, ok: bool) -> None:
    """Note a delivery attempt's outcome: the last status, and failures in a row (0 after a success)."""
    with store.session() as s, s.begin():
        row = s.scalars(
            select(WebSubSubscriptionRow).where(
                WebSubSubscriptionRow.callback == callback, WebSubSubscriptionRow.topic == topic
            )
        ).first()
        if row is not None:
            row.last_status = status
            row.failures = 0 if ok else row.failures + 1
