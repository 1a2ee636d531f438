"""Jobs sharing hosts and sources: the harvesters' HTTP hooks, per-host buckets (in process and on
Redis, Retry-After included), source locks, the host key a bucket is kept under."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from harvesters.http import HttpPolicy, fetch, make_client, request_host
from hub.jobs.locks import LocalSourceLock, RedisSourceLock
from hub.jobs.politeness import LocalBucket, RedisBucket, polite_policy
from tests.support.oai_replay import OaiReplayServer, load_real_records

REDIS_DB = 10


def redis_url(db: int) -> str:
    """GKSS_TEST_REDIS_URL with another database number; skips the test when it is unset."""
    base = os.environ.get("GKSS_TEST_REDIS_URL")
    if not base:
        pytest.skip("GKSS_TEST_REDIS_URL is not set (start one: URL=$(deploy/local/redis up))")
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


@pytest.fixture
def redis_client() -> Iterator[object]:
    from redis import Redis

    client = Redis.from_url(redis_url(REDIS_DB))
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


# --- the harvesters' HTTP hooks --------------------------------------------------------------


def test_http_hooks_see_each_request_and_the_retry_after() -> None:
    asked: list[str] = []
    told: list[tuple[str, float]] = []
    policy = HttpPolicy(
        max_retries=2,
        max_retry_after=30.0,
        sleep=lambda _: None,
        before_request=asked.append,
        on_retry_after=lambda host, seconds: told.append((host, seconds)),
    )
    with OaiReplayServer(load_real_records()[:3]) as server:
        server.fail_next(status=503, retry_after="7")
        server.fail_next(status=429, retry_after="3")
        with make_client(policy) as client:
            response = fetch(client, policy, server.url, params={"verb": "Identify"})
        host = f"127.0.0.1:{urlsplit(server.url).port}"
    assert response.status == 200
    assert request_host(server.url) == host
    assert asked == [host, host, host]
    assert told == [(host, 7.0), (host, 3.0)]


# --- politeness ------------------------------------------------------------------------------


def test_local_bucket_paces_threads_to_the_rate_after_the_burst() -> None:
    rate, burst, n = 40.0, 3, 15
    bucket = LocalBucket(rate, burst)
    start = time.monotonic()
    done: list[float] = []

    def take(count: int) -> None:
        for _ in range(count):
            bucket.acquire("example.org")
            done.append(time.monotonic() - start)

    threads = [threading.Thread(target=take, args=(n // 3,)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(done) == n
    assert max(done) >= (n - burst) / rate - 0.005
    assert sorted(done)[burst - 1] < 1 / rate, "the burst goes at once"
    assert bucket.reserve("other.org") == 0.0, "hosts have their own buckets"


def test_local_bucket_penalty_delays_the_next_slot() -> None:
    bucket = LocalBucket(rate=100.0, burst=5)
    bucket.penalise("slow.org", 0.4)
    wait = bucket.reserve("slow.org")
    assert 0.35 <= wait <= 0.4
    assert bucket.reserve("fast.org") == 0.0


def test_retry_after_from_a_host_delays_every_worker_sharing_redis(redis_client: object) -> None:
    from redis import Redis

    assert isinstance(redis_client, Redis)
    first = RedisBucket(redis_client, rate=1000.0, burst=5, sleep=lambda _: None)
    other_worker = RedisBucket(Redis.from_url(redis_url(REDIS_DB)), rate=1000.0, burst=5)
    policy = polite_policy(HttpPolicy(max_retries=0, max_retry_after=30.0, sleep=lambda _: None), first)
    with OaiReplayServer(load_real_records()[:3]) as server:
        server.fail_next(status=429, retry_after="2")
        with make_client(policy) as client:
            response = fetch(client, policy, server.url, params={"verb": "Identify"})
        host = request_host(server.url)
    assert response.status == 429
    wait = other_worker.reserve(host)
    assert 1.5 <= wait <= 2.0, wait
    assert other_worker.reserve("elsewhere.example") == 0.0


# --- source locks ------------------------------------------------------------------------------


def test_redis_source_lock_is_exclusive_and_lapses(redis_client: object) -> None:
    from redis import Redis

    assert isinstance(redis_client, Redis)
    mine = RedisSourceLock(redis_client, "repo", "request-1 worker-a", lease=0.3)
    theirs = RedisSourceLock(redis_client, "repo", "request-2 worker-b", lease=0.3)
    assert mine.acquire()
    assert not theirs.acquire()
    assert 0 < theirs.remaining() <= 0.3
    assert mine.extend()
    theirs.release()  # not the holder: no effect
    assert not theirs.acquire()
    time.sleep(0.4)
    assert theirs.acquire(), "a lease nobody extends lapses"
    assert not mine.extend(), "the lapsed holder learns it lost the source"
    theirs.release()
    assert theirs.remaining() == 0.0


def test_local_source_lock_behaves_the_same() -> None:
    mine = LocalSourceLock("src-local", "a", lease=0.2)
    theirs = LocalSourceLock("src-local", "b", lease=0.2)
    assert mine.acquire() and not theirs.acquire()
    time.sleep(0.25)
    assert theirs.acquire() and not mine.extend()
    theirs.release()


def test_http_host_key_keeps_explicit_ports_only() -> None:
    assert request_host("https://Example.ORG/oai?verb=Identify") == "example.org"
    assert request_host("http://127.0.0.1:8080/x") == "127.0.0.1:8080"
    assert request_host(str(httpx.URL("http://u:p@h.example:81/"))) == "h.example:81"
