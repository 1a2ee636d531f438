"""WebSub content distribution: a harvest of real OAI-PMH records pushes signed feeds to real subscribers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select, update

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from hub.store.models import WebSubSubscriptionRow
from hub.store.subscriptions import active, subscribe
from hub.websub.signing import verify_signature
from normalizers.resource import resource_id
from tests.hub.websub.hanging import HangingServer
from tests.hub.websub.subscriber import SubscriberServer
from tests.support.oai_replay import OaiReplayServer, load_real_records

SECRET = "a subscriber's secret"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"
MATCHING = "http://testserver/feeds/atom?source=repo"
ELSEWHERE = "http://testserver/feeds/atom?source=another"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    opened = open_hub(
        Settings(
            home=tmp_path / "gkss",
            allow_private_networks=True,
            http_timeout=5,
            http_total_timeout=20,
            http_max_retries=1,
            websub_retry_seconds=0.3,
            websub_delivery_attempts=3,
            websub_delivery_timeout=30,
        )
    )
    yield opened
    opened.close()


@pytest.fixture
def client(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=hub)) as test_client:
        yield test_client


def _wait(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _subscribe(client: TestClient, hub: Hub, callback: str, topic: str, secret: str | None = None) -> None:
    form = {"hub.mode": "subscribe", "hub.callback": callback, "hub.topic": topic}
    if secret:
        form["hub.secret"] = secret
    before = len(active(hub.store))
    assert client.post("/websub", data=form).status_code == 202
    assert _wait(lambda: len(active(hub.store)) == before + 1)


def _expected_ids() -> set[str]:
    """The live records of the replayed input, counted from the payloads themselves."""
    real = load_real_records()
    return {resource_id("repo", r.identifier) for r in real if r.identifier and not r.deleted and r.metadata}


def test_a_harvest_pushes_exactly_the_added_records_signed_to_matching_topics_only(
    client: TestClient, hub: Hub
) -> None:
    expected = _expected_ids()
    assert len(expected) > 30
    with (
        SubscriberServer() as matching,
        SubscriberServer() as other,
        OaiReplayServer(load_real_records()) as repo,
    ):
        _subscribe(client, hub, matching.url, MATCHING, SECRET)
        _subscribe(client, hub, other.url, ELSEWHERE, SECRET)
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        summary = harvest_source(hub, "repo")
        assert summary.status == "succeeded", summary.error
        finished = time.monotonic()
        assert summary.added == len(expected)
        assert _wait(lambda: len(matching.received.pushes) == 1, 10)
        assert matching.received.push_times[0] - finished < 10  # "within seconds"
        headers, body = matching.received.pushes[0]
        assert verify_signature(SECRET, body, headers["x-hub-signature"])
        assert not verify_signature("another secret", body, headers["x-hub-signature"])
        assert headers["content-type"].startswith("application/atom+xml")
        assert headers["link"] == f'<http://testserver/websub>; rel="hub", <{MATCHING}>; rel="self"'
        parsed = feedparser.parse(body)
        assert parsed.bozo == 0, parsed.bozo_exception
        pushed = [entry.id.rsplit(":", 1)[1] for entry in parsed.entries]
        assert len(pushed) == len(expected)
        assert set(pushed) == expected
        time.sleep(0.5)
        assert other.received.pushes == []

        # a second harvest changes nothing: nothing is pushed
        again = harvest_source(hub, "repo")
        assert again.added + again.updated == 0
        time.sleep(0.5)
        assert len(matching.received.pushes) == 1


def test_a_failing_subscriber_is_retried_with_backoff_up_to_the_limit(client: TestClient, hub: Hub) -> None:
    with SubscriberServer(push_status=500) as failing, OaiReplayServer(load_real_records()) as repo:
        _subscribe(client, hub, failing.url, MATCHING)
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
        assert _wait(lambda: len(failing.received.pushes) == 3, 10)
        time.sleep(1.5)  # a fourth attempt would come 1.2 s after the third
        times = failing.received.push_times
        assert len(times) == 3  # GKSS_WEBSUB_DELIVERY_ATTEMPTS
        assert times[1] - times[0] >= 0.3
        assert times[2] - times[1] >= 0.6  # doubled
        assert "x-hub-signature" not in failing.received.pushes[0][0]  # no secret, no signature
        (state,) = active(hub.store)
        assert (state.last_status, state.failures) == ("HTTP 500", 3)


def test_a_dead_subscriber_does_not_slow_the_harvest(hub: Hub) -> None:
    records = load_real_records()
    with OaiReplayServer(records) as repo:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        hub.store.add_source("copy", "oai-pmh", repo.url, {})
        started = time.monotonic()
        assert harvest_source(hub, "repo").status == "succeeded"
        without = time.monotonic() - started
        with HangingServer() as dead:
            # stored directly: a server that never answers cannot pass verification
            subscribe(hub.store, dead.url, "http://testserver/feeds/atom?source=copy", None, 3600)
            started = time.monotonic()
            assert harvest_source(hub, "copy").status == "succeeded"
            with_dead = time.monotonic() - started
            assert _wait(lambda: dead.accepted >= 1, 10)  # the push is under way, and hangs (timeout 30 s)
            (state,) = active(hub.store)
            assert state.last_status is None  # still pending when the harvest is long done
    assert with_dead < without + 2.0, (without, with_dead)


def test_an_expired_lease_gets_no_push_and_is_purged(client: TestClient, hub: Hub) -> None:
    with SubscriberServer() as subscriber, OaiReplayServer(load_real_records()) as repo:
        _subscribe(client, hub, subscriber.url, MATCHING, SECRET)
        with hub.store.session() as s, s.begin():
            s.execute(
                update(WebSubSubscriptionRow).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
        assert _wait(lambda: active(hub.store) == [] and _count(hub) == 0, 5)
        time.sleep(0.5)
        assert subscriber.received.pushes == []


def _count(hub: Hub) -> int:
    with hub.store.session() as s:
        return len(list(s.scalars(select(WebSubSubscriptionRow.id))))


def test_a_deletion_is_pushed_to_atom_topics_as_a_tombstone(client: TestClient, hub: Hub) -> None:
    real = load_real_records()
    live = sorted(r.identifier for r in real if r.identifier and not r.deleted and r.metadata)
    gone = live[-1]
    json_topic = "http://testserver/feeds/json?source=repo"
    with SubscriberServer() as atom, SubscriberServer() as json_feed, OaiReplayServer(real) as repo:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
        _subscribe(client, hub, atom.url, MATCHING, SECRET)
        _subscribe(client, hub, json_feed.url, json_topic, SECRET)
        repo.delete_record(gone, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2))
        second = harvest_source(hub, "repo")
        assert (second.status, second.deleted, second.added + second.updated) == ("succeeded", 1, 0)
        assert _wait(lambda: len(atom.received.pushes) == 1, 10)
        headers, body = atom.received.pushes[0]
        assert verify_signature(SECRET, body, headers["x-hub-signature"])
        root = etree.fromstring(body)
        refs = [str(e.get("ref")).rsplit(":", 1)[1] for e in root.iter(f"{{{TOMBSTONES}}}deleted-entry")]
        assert refs == [resource_id("repo", gone)]
        assert list(root.iter("{http://www.w3.org/2005/Atom}entry")) == []
        time.sleep(0.5)
        assert json_feed.received.pushes == []  # JSON Feed cannot express a deletion


def _websub_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("websub") and t.is_alive()]


def test_closing_the_hub_delivers_what_was_queued_then_stops_its_workers(tmp_path: Path) -> None:
    """A one-shot `gkss harvest` (or a job) closes its hub right after the run: the push still goes
    out before close returns, and no delivery thread or retry outlives the hub."""
    expected = _expected_ids()
    settings = Settings(
        home=tmp_path / "gkss",
        allow_private_networks=True,
        websub_retry_seconds=0.3,
        websub_delivery_attempts=3,
    )
    with (
        SubscriberServer() as subscriber,
        SubscriberServer(push_status=500) as failing,
        OaiReplayServer(load_real_records()) as repo,
    ):
        hub = open_hub(settings)
        subscribe(hub.store, subscriber.url, MATCHING, SECRET, 3600)
        subscribe(hub.store, failing.url, MATCHING, None, 3600)
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
        assert _websub_threads(), "the run queued its distribution on the delivery workers"
        hub.close()
        assert len(subscriber.received.pushes) == 1, "delivered before close returned"
        parsed = feedparser.parse(subscriber.received.pushes[0][1])
        assert {entry.id.rsplit(":", 1)[1] for entry in parsed.entries} == expected
        assert _websub_threads() == []
        assert len(failing.received.pushes) == 1, "its first attempt was made"
        time.sleep(1.0)  # its retry was due 0.3 s after that attempt; the closed hub drops it
        assert len(failing.received.pushes) == 1
        assert _websub_threads() == []
