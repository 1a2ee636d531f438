"""Politeness across processes: two processes taking slots from one Redis token bucket share its rate."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

from tests.e2e.scaleout_support import (
    flush,
    redis_url,
)

# --- politeness across processes -----------------------------------------------------------------


def _take_slots(url: str, host: str, count: int, rate: float, burst: int, start: Any, out: Any) -> None:
    from redis import Redis

    from hub.jobs.politeness import RedisBucket

    client = Redis.from_url(url)
    bucket = RedisBucket(client, rate, burst)
    bucket.penalise("warm-up.example", 0.0)  # connects and loads the script before the start
    start.wait(timeout=30)
    stamps = []
    for _ in range(count):
        bucket.acquire(host)
        stamps.append(time.time())
    out.put(stamps)


def test_token_bucket_is_shared_by_two_processes() -> None:
    url = redis_url(13)
    flush(url)
    rate, burst, per_process = 10.0, 3, 8
    total = 2 * per_process
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start = context.Barrier(2)
    processes = [
        context.Process(
            target=_take_slots, args=(url, "shared.example", per_process, rate, burst, start, out)
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    stamps = [out.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    flush(url)
    assert all(len(batch) == per_process for batch in stamps)
    assert max(b[0] for b in stamps) < min(b[-1] for b in stamps), "both processes took slots at once"
    every = sorted(t for batch in stamps for t in batch)
    first = every[0]
    assert every[-1] - first >= (total - burst) / rate - 0.02, "N slots take at least (N - burst) / rate"
    for n, stamp in enumerate(every[burst:], start=1):  # slots are only ever late, never early
        assert stamp - first >= n / rate - 0.02, f"slot {burst + n} came early"
    assert every[-1] - first < (total - burst) / rate + 0.75, "no slot may be wasted either"
