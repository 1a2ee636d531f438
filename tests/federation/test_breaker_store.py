"""The per-peer circuit breaker and the registry in the store, on SQLite and PostgreSQL, shared by threads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from federation.peers import PeerError, add_peer, get_peer, known_keys, record_call, record_probe, remove_peer
from hub.store import Store
from tests.support.databases import database_kinds, fresh_database


@pytest.fixture(params=database_kinds())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_database(request.param, tmp_path) as url:
        opened = Store(url)
        opened.create_all()
        yield opened
        opened.close()


def test_breaker_opens_after_threshold_suspends_then_a_trial_closes_it(store: Store) -> None:
    add_peer(store, "centre-x", "http://127.0.0.1:9/")
    record_call(store, "centre-x", ok=False, reason="error: HTTP 502", threshold=3, cooldown=0.5)
    record_call(store, "centre-x", ok=False, reason="timeout: none", threshold=3, cooldown=0.5)
    peer = get_peer(store, "centre-x")
    assert peer is not None and peer.failures == 2 and not peer.suspended(datetime.now(UTC))
    record_call(store, "centre-x", ok=False, reason="error: HTTP 502", threshold=3, cooldown=0.5)
    peer = get_peer(store, "centre-x")
    assert peer is not None and peer.suspended(datetime.now(UTC))
    assert peer.breaker_reason == "3 failures in a row, last: error: HTTP 502"
    assert peer.as_json()["breaker"]["state"] == "open"
    time.sleep(0.6)
    peer = get_peer(store, "centre-x")
    assert peer is not None and not peer.suspended(datetime.now(UTC)), "cooldown over: one trial allowed"
    record_call(store, "centre-x", ok=False, reason="error: again", threshold=3, cooldown=0.5)
    peer = get_peer(store, "centre-x")
    assert peer is not None and peer.suspended(datetime.now(UTC)), "a failed trial opens it at once"
    time.sleep(0.6)
    record_call(store, "centre-x", ok=True, reason=None, threshold=3, cooldown=0.5)
    peer = get_peer(store, "centre-x")
    assert peer is not None and peer.failures == 0 and peer.breaker_open_until is None
    assert peer.as_json()["breaker"]["state"] == "closed"


def test_concurrent_workers_count_every_failure(store: Store) -> None:
    add_peer(store, "centre-y", "http://127.0.0.1:9")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda _: record_call(store, "centre-y", ok=False, reason="x", threshold=1000, cooldown=1),
                range(40),
            )
        )
    peer = get_peer(store, "centre-y")
    assert peer is not None and peer.failures == 40


def test_registry_rules_and_key_pinning(store: Store) -> None:
    with pytest.raises(PeerError):
        add_peer(store, "Bad Id", "http://127.0.0.1:9")
    with pytest.raises(PeerError):
        add_peer(store, "ok", "http://127.0.0.1:9?x=1")
    with pytest.raises(PeerError):
        add_peer(store, "ok", "http://127.0.0.1:9", trust="everything")
    add_peer(store, "ok", "http://127.0.0.1:9/")
    with pytest.raises(PeerError, match="already registered"):
        add_peer(store, "ok", "http://127.0.0.1:9")
    record_probe(store, "ok", ok=True, reason=None, capabilities={"a": 1}, public_key="KEY1", name="Ok")
    record_probe(store, "ok", ok=True, reason=None, capabilities={"a": 2}, public_key="KEY2", name="Ok")
    assert known_keys(store) == {"ok": "KEY1"}, "the first key seen stays pinned"
    record_probe(store, "ok", ok=False, reason="down")
    peer = get_peer(store, "ok")
    assert peer is not None and peer.capabilities == {"a": 2} and peer.status == "down"
    assert remove_peer(store, "ok") and not remove_peer(store, "ok")
