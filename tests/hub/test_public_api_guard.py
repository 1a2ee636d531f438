"""The public API's per-client rate limit (429 + Retry-After) and request size cap (413)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.rate_limit import ClientBuckets
from hub.settings import Settings

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    settings = Settings(
        home=tmp_path / "gkss",
        database_url=None,
        search_url=None,
        api_rate=1.0,
        api_burst=3,
        max_request_bytes=1000,
    )
    hub = open_hub(settings)
    yield hub
    hub.close()


def test_a_client_over_its_rate_gets_429_and_others_do_not(hub: Hub) -> None:
    app = create_app(hub.settings, hub)
    with (
        TestClient(app, client=("192.0.2.1", 5000)) as greedy,
        TestClient(app, client=("192.0.2.2", 5000)) as calm,
    ):
        answers = [greedy.get("/api/search?size=1") for _ in range(6)]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200], "the burst of 3 goes through"
        refused = answers[3:]
        assert all(a.status_code == 429 for a in refused)
        assert all(int(a.headers["retry-after"]) >= 1 for a in refused)
        assert "too many requests" in refused[0].json()["detail"]
        assert calm.get("/api/search?size=1").status_code == 200, "another client has its own bucket"
        assert greedy.get("/healthz").status_code == 200, "liveness is never limited"


def test_bodies_over_the_cap_are_refused_before_the_app(hub: Hub) -> None:
    with TestClient(create_app(hub.settings, hub)) as client:
        form = "verb=Identify&" + "x=" + "a" * 2000
        big = client.post("/oai", content=form, headers=FORM)
        assert big.status_code == 413 and "1000 bytes" in big.json()["detail"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted while read
            for _ in range(5):
                yield b"verb=Identify&" + b"y" * 400

        streamed = client.post(
            "/oai", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert streamed.status_code == 413
        small = client.post(
            "/oai", content="verb=Identify", headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert small.status_code == 200 and b"<Identify>" in small.content


def test_buckets_refill_at_the_rate() -> None:
    now = [100.0]
    buckets = ClientBuckets(rate=2.0, burst=2, clock=lambda: now[0])
    assert buckets.admit("a") == 0 and buckets.admit("a") == 0
    wait = buckets.admit("a")
    assert wait == pytest.approx(0.5)
    assert buckets.admit("a") == pytest.approx(0.5), "a refused request takes no slot"
    now[0] += 0.5
    assert buckets.admit("a") == 0
