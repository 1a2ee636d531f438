"""Stored WebSub subscriptions on SQLite and PostgreSQL: renewal, delivery state, expiry and purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.store import Store
from hub.store.subscriptions import active, listing, purge_expired, record_delivery, subscribe, unsubscribe
from tests.support.databases import database_kinds, fresh_database

TOPIC = "http://node/feeds/atom?country=KE"


@pytest.mark.parametrize("kind", database_kinds())
def test_subscriptions_renew_record_deliveries_expire_and_purge(kind: str, tmp_path: Path) -> None:
    with fresh_database(kind, tmp_path) as url:
        store = Store(url)
        try:
            store.create_all()
            start = datetime.now(UTC)
            subscribe(store, "http://127.0.0.1:9/a", TOPIC, "s", 60)
            subscribe(store, "http://127.0.0.1:9/b", TOPIC, None, 3600)
            renewed = subscribe(store, "http://127.0.0.1:9/a", TOPIC, "t", 120)  # same pair: renewal
            assert len(listing(store)) == 2
            assert (renewed.secret, renewed.lease_seconds) == ("t", 120)
            assert renewed.expires_at >= start + timedelta(seconds=120)
            record_delivery(store, "http://127.0.0.1:9/a", TOPIC, "HTTP 500", False)
            record_delivery(store, "http://127.0.0.1:9/a", TOPIC, "HTTP 502", False)
            assert (listing(store)[0].last_status, listing(store)[0].failures) == ("HTTP 502", 2)
            record_delivery(store, "http://127.0.0.1:9/a", TOPIC, "HTTP 204", True)
            assert (listing(store)[0].last_status, listing(store)[0].failures) == ("HTTP 204", 0)
            later = datetime.now(UTC) + timedelta(seconds=121)
            assert [s.callback for s in active(store, at=later)] == ["http://127.0.0.1:9/b"]
            assert purge_expired(store, at=later) == 1
            assert [s.callback for s in listing(store)] == ["http://127.0.0.1:9/b"]
            assert unsubscribe(store, "http://127.0.0.1:9/b", TOPIC)
            assert not unsubscribe(store, "http://127.0.0.1:9/b", TOPIC)
            assert listing(store) == []
        finally:
            store.close()
