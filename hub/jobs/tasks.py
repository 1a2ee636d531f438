"""The Celery tasks: harvest one source by request, enqueue due sources, reap lost runs."""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING, Any

from hub.context import open_hub
from hub.jobs.client import send_request
from hub.jobs.in_flight import RedisInFlight
from hub.jobs.locks import RedisSourceLock
from hub.jobs.politeness import RedisBucket
from hub.jobs.runner import RunRequest, SourceBusy, run_request
from hub.jobs.schedule import enqueue_due
from hub.jobs.task_names import ENQUEUE_DUE_TASK, HARVEST_TASK, WATCHDOG_TASK
from hub.jobs.watchdog import reap_lost_runs, repair_index
from hub.settings import Settings
from hub.store import Store
from hub.store.runs import pid_namespace

if TYPE_CHECKING:
    from redis import Redis

PROGRESS_EVERY = 1.0


def redis_client(settings: Settings) -> Redis:
    """A Redis client on the broker URL (locks and politeness live beside the queue)."""
    from redis import Redis

    if not settings.broker_url:
        raise RuntimeError("GKSS_BROKER_URL is not set")
    return Redis.from_url(settings.broker_url, socket_timeout=30, socket_connect_timeout=10)


def harvest(
    task: Any, request_id: str, source_id: str, full: bool = False, accept_deletions: bool = False
) -> dict[str, Any]:
    """Run a request (ids only travel through the broker); retried later while the source is busy."""
    settings = Settings()
    worker = f"{task.request.hostname or socket.gethostname()} pid {os.getpid()}{pid_namespace()}"
    client = redis_client(settings)
    lock = RedisSourceLock(client, source_id, f"{request_id} {worker}", settings.run_stale_seconds)
    in_flight = (
        RedisInFlight(client, settings.host_concurrency, settings.http_total_timeout + 60)
        if settings.host_concurrency > 0
        else None
    )
    limiter = RedisBucket(client, settings.host_rate, settings.host_burst, in_flight=in_flight)
    last = 0.0

    def progress(run_id: int, seen: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY:
            last = time.monotonic()
            task.update_state(state="PROGRESS", meta={"run_id": run_id, "seen": seen, "worker": worker})

    request = RunRequest(request_id, source_id, full, accept_deletions)
    try:
        outcome = run_request(settings, request, lock=lock, limiter=limiter, worker=worker, progress=progress)
    except SourceBusy as busy:
        raise task.retry(countdown=busy.retry_in, max_retries=None) from None
    finally:
        client.close()
    return outcome.as_dict()


def enqueue_due_sources(task: Any) -> list[str]:
    """The beat entry: a harvest request for every due source, each period once."""
    settings = Settings()
    store = Store(settings.resolved_database_url())
    try:
        store.create_all()
        return enqueue_due(store, lambda request: send_request(task.app, request))
    finally:
        store.close()


def watchdog() -> list[int]:
    """The beat entry: mark lost runs failed and level the index after them; returns their ids."""
    hub = open_hub(Settings())
    try:
        lost = reap_lost_runs(hub.store, hub.settings.run_stale_seconds)
        if lost:
            repair_index(hub, lost)
        return [run.id for run in lost]
    finally:
        hub.close()


def register_tasks(app: Any) -> None:
    app.task(name=HARVEST_TASK, bind=True, max_retries=None)(harvest)
    app.task(name=ENQUEUE_DUE_TASK, bind=True)(enqueue_due_sources)
    app.task(name=WATCHDOG_TASK)(watchdog)
