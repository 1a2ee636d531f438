"""WebSub subscription requests against a real subscriber on 127.0.0.1: verification of intent, leases."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.settings import Settings
from hub.store.subscriptions import Subscription, active, purge_expired
from tests.hub.websub.subscriber import SubscriberServer

TOPIC = "http://testserver/feeds/atom?type=document&country=KE"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    opened = open_hub(
        Settings(
            home=tmp_path / "gkss",
            allow_private_networks=True,
            websub_lease_seconds=3600,
            websub_min_lease_seconds=60,
            websub_max_lease_seconds=7200,
            websub_verify_timeout=5,
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


def _post(client: TestClient, **params: str) -> int:
    form = {f"hub.{k}": v for k, v in params.items()}
    return client.post("/websub", data=form).status_code


def _only(hub: Hub) -> Subscription:
    subs = active(hub.store)
    assert len(subs) == 1, subs
    return subs[0]


def test_a_subscriber_that_echoes_the_challenge_is_subscribed_with_a_bounded_lease(
    client: TestClient, hub: Hub
) -> None:
    with SubscriberServer() as subscriber:
        before = datetime.now(UTC)
        status = _post(
            client,
            mode="subscribe",
            callback=subscriber.url,
            topic=TOPIC,
            lease_seconds="999999",
            secret="s3",
        )
        assert status == 202
        assert _wait(lambda: len(active(hub.store)) == 1)
        check = subscriber.received.verifications
        assert len(check) == 1
        assert check[0]["hub.mode"] == "subscribe"
        assert check[0]["hub.topic"] == TOPIC
        assert check[0]["hub.lease_seconds"] == "7200"  # asked 999999, the maximum is 7200
        assert len(check[0]["hub.challenge"]) >= 16
        sub = _only(hub)
        assert (sub.callback, sub.topic, sub.secret, sub.lease_seconds) == (subscriber.url, TOPIC, "s3", 7200)
        assert (
            before + timedelta(seconds=7200) <= sub.expires_at <= datetime.now(UTC) + timedelta(seconds=7200)
        )

        # renewal: subscribing again extends the lease of the same subscription
        assert (
            _post(client, mode="subscribe", callback=subscriber.url, topic=TOPIC, lease_seconds="100") == 202
        )
        assert _wait(lambda: _only(hub).lease_seconds == 100)
        assert len(subscriber.received.verifications) == 2

        # unsubscribe: verified too, then gone
        assert _post(client, mode="unsubscribe", callback=subscriber.url, topic=TOPIC) == 202
        assert _wait(lambda: active(hub.store) == [])
        last = subscriber.received.verifications[-1]
        assert last["hub.mode"] == "unsubscribe"
        assert "hub.lease_seconds" not in last


def test_a_subscriber_that_does_not_echo_the_challenge_is_not_subscribed(
    client: TestClient, hub: Hub
) -> None:
    with SubscriberServer(echo=False) as subscriber:
        assert _post(client, mode="subscribe", callback=subscriber.url, topic=TOPIC) == 202
        assert _wait(lambda: len(subscriber.received.verifications) == 1)
        time.sleep(0.5)
        assert active(hub.store) == []


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"mode": "watch"}, "hub.mode"),
        ({"callback": "ftp://127.0.0.1/x"}, "hub.callback"),
        ({"topic": "http://testserver/api/search?q=x"}, "hub.topic"),
        ({"topic": "http://elsewhere.example/feeds/atom"}, "hub.topic"),
        ({"lease_seconds": "ten"}, "hub.lease_seconds"),
        ({"secret": "x" * 200}, "hub.secret"),
    ],
)
def test_bad_requests_are_refused_with_the_reason(
    client: TestClient, params: dict[str, str], reason: str
) -> None:
    form = {"mode": "subscribe", "callback": "http://127.0.0.1:9/cb", "topic": TOPIC, **params}
    response = client.post("/websub", data={f"hub.{k}": v for k, v in form.items()})
    assert response.status_code == 400
    assert reason in response.text


def test_the_ssrf_guard_refuses_a_loopback_callback_unless_private_networks_are_allowed(
    tmp_path: Path,
) -> None:
    guarded = open_hub(Settings(home=tmp_path / "guarded", allow_private_networks=False))
    try:
        with SubscriberServer() as subscriber, TestClient(create_app(hub=guarded)) as client:
            response = client.post(
                "/websub", data={"hub.mode": "subscribe", "hub.callback": subscriber.url, "hub.topic": TOPIC}
            )
            assert response.status_code == 400
            assert "refused" in response.text
            time.sleep(0.3)
            assert subscriber.received.verifications == []
    finally:
        guarded.close()


def test_expired_leases_are_not_active_and_are_purged(client: TestClient, hub: Hub) -> None:
    with SubscriberServer() as subscriber:
        assert (
            _post(client, mode="subscribe", callback=subscriber.url, topic=TOPIC, lease_seconds="60") == 202
        )
        assert _wait(lambda: len(active(hub.store)) == 1)
    later = datetime.now(UTC) + timedelta(seconds=61)
    assert active(hub.store, at=later) == []
    assert purge_expired(hub.store, at=later) == 1
    assert active(hub.store) == []


def test_a_topic_on_the_announced_node_url_is_accepted(tmp_path: Path) -> None:
    behind_proxy = open_hub(Settings(home=tmp_path / "proxied", node_url="https://hub.example.org/"))
    try:
        with SubscriberServer() as subscriber, TestClient(create_app(hub=behind_proxy)) as client:
            form = {"hub.mode": "subscribe", "hub.callback": subscriber.url}
            public = client.post("/websub", data={**form, "hub.topic": "https://hub.example.org/feeds/rss"})
            assert public.status_code == 202
            assert _wait(lambda: len(active(behind_proxy.store)) == 1)
            other = client.post("/websub", data={**form, "hub.topic": "https://other.example.org/feeds/rss"})
            assert other.status_code == 400
    finally:
        behind_proxy.close()
