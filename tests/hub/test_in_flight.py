"""Per-host concurrency: requests in flight to one host stay under the cap, across threads and workers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from harvesters.errors import TransientError
from harvesters.http import HttpPolicy, fetch_once, make_client, request_host
from hub.jobs.in_flight import LocalInFlight, RedisInFlight
from hub.jobs.politeness import LocalBucket, RedisBucket, polite_policy
from tests.hub.test_jobs_politeness import REDIS_DB, redis_url
from tests.support.counting_server import CountingServer

POLICY = HttpPolicy(max_retries=0, read_timeout=10.0)


@pytest.fixture
def server() -> Iterator[CountingServer]:
    with CountingServer(delay=0.3) as counting:
        for n in range(8):
            counting.route(f"/page/{n}", f"page {n}".encode())
        yield counting


def fetch_all(policies: list[HttpPolicy], server: CountingServer, per_policy: int) -> list[int]:
    """``per_policy`` threads per policy (each policy a worker), each fetching one page."""
    jobs = [(policy, n) for policy in policies for n in range(per_policy)]

    def one(job: tuple[HttpPolicy, int]) -> int:
        policy, n = job
        with make_client(policy) as client:
            return fetch_once(client, policy, "GET", f"{server.url}/page/{n}").status

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(one, jobs))


@pytest.mark.parametrize("limit", [1, 2])
def test_threads_of_one_process_keep_under_the_cap(server: CountingServer, limit: int) -> None:
    bucket = LocalBucket(rate=1000.0, burst=100, in_flight=LocalInFlight(limit))
    assert fetch_all([polite_policy(POLICY, bucket)], server, per_policy=6) == [200] * 6
    assert server.max_in_flight == limit


def test_workers_sharing_redis_keep_under_the_cap_together(server: CountingServer) -> None:
    from redis import Redis

    workers = []
    for _ in range(2):
        client = Redis.from_url(redis_url(REDIS_DB))
        client.delete(f"gkss:inflight:{request_host(server.url)}")
        workers.append(RedisBucket(client, 1000.0, 100, in_flight=RedisInFlight(client, 2, lease_seconds=30)))
    policies = [polite_policy(POLICY, worker) for worker in workers]
    assert fetch_all(policies, server, per_policy=4) == [200] * 8
    assert server.max_in_flight == 2, "two workers, four threads each, two requests in flight at most"
    # Every slot was given back, also after a failed request.
    with make_client(policies[0]) as client, pytest.raises(TransientError):
        fetch_once(client, policies[0], "GET", "http://127.0.0.1:1/unreachable")
    assert workers[0].client.zcard(f"gkss:inflight:{request_host(server.url)}") == 0
    assert workers[0].client.zcard("gkss:inflight:127.0.0.1:1") == 0


def test_a_dead_workers_lease_lapses() -> None:
    from redis import Redis

    client = Redis.from_url(redis_url(REDIS_DB))
    client.delete("gkss:inflight:lapsing.example")
    dead = RedisInFlight(client, 1, lease_seconds=1.0)
    dead.enter("lapsing.example")  # and never leaves: its worker died
    other = RedisInFlight(Redis.from_url(redis_url(REDIS_DB)), 1, lease_seconds=1.0)
    started = time.monotonic()
    other.enter("lapsing.example")
    waited = time.monotonic() - started
    other.leave("lapsing.example")
    assert waited >= 0.8, "the slot stayed taken while the lease ran"
    assert client.zcard("gkss:inflight:lapsing.example") == 0


def test_without_a_cap_nothing_waits(server: CountingServer) -> None:
    bucket = LocalBucket(rate=1000.0, burst=100)
    assert fetch_all([polite_policy(POLICY, bucket)], server, per_policy=4) == [200] * 4
    assert server.max_in_flight == 4
    assert httpx.get(server.url + "/page/0").text == "page 0"
