"""Schedules kept in the database: due sources become run requests, once per period."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime

from hub.jobs.in_flight import LocalInFlight
from hub.jobs.locks import LocalSourceLock
from hub.jobs.politeness import LocalBucket
from hub.jobs.runner import JobOutcome, RunRequest, SourceBusy, run_request
from hub.jobs.watchdog import reap_lost_runs
from hub.settings import Settings
from hub.store import Store
from hub.store.schedules import claim_due_schedules

logger = logging.getLogger(__name__)


def scheduled_request(source_id: str, due: datetime) -> RunRequest:
    """The request for one period of a schedule: its id names the period, so it is run once."""
    return RunRequest(f"schedule:{source_id}:{due.strftime('%Y%m%dT%H%M%S.%fZ')}", source_id)


def claim_due_requests(store: Store, now: datetime | None = None) -> list[RunRequest]:
    """Take the due schedules (advancing each past ``now``) and make their requests."""
    return [scheduled_request(source_id, due) for source_id, due in claim_due_schedules(store, now)]


def enqueue_due(store: Store, send: Callable[[RunRequest], object], now: datetime | None = None) -> list[str]:
    """Send a request for every due source (the beat entry's work); returns the request ids sent."""
    sent = []
    for request in claim_due_requests(store, now):
        send(request)
        sent.append(request.request_id)
    return sent


def run_in_process(
    settings: Settings,
    *,
    ticks: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    report: Callable[[JobOutcome], None] | None = None,
) -> None:
    """Without a broker: every tick, reap lost runs and harvest the due sources here, one by one."""
    settings.home.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url())
    store.create_all()
    in_flight = LocalInFlight(settings.host_concurrency) if settings.host_concurrency > 0 else None
    limiter = LocalBucket(settings.host_rate, settings.host_burst, in_flight=in_flight)
    worker = f"{socket.gethostname()} pid {os.getpid()} (scheduler)"
    done = 0
    try:
        while ticks is None or done < ticks:
            reap_lost_runs(store, settings.run_stale_seconds)
            for request in claim_due_requests(store):
                lock = LocalSourceLock(request.source_id, request.request_id, settings.run_stale_seconds)
                try:
                    outcome = run_request(settings, request, lock=lock, limiter=limiter, worker=worker)
                except (KeyError, SourceBusy) as exc:
                    logger.warning("scheduled run of %s skipped: %s", request.source_id, exc)
                    continue
                if report is not None:
                    report(outcome)
            done += 1
            if ticks is None or done < ticks:
                sleep(settings.scheduler_tick_seconds)
    finally:
        store.close()
