"""One job run of one source: idempotent per request, one worker per source, a heartbeat while it runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import PrivateAttr

from harvesters.http import HttpPolicy
from hub.context import Hub, recover_hub
from hub.jobs.heartbeat import ClaimingStore, Heartbeat, heartbeat_interval
from hub.jobs.locks import SourceLock
from hub.jobs.politeness import HostLimiter, polite_policy
from hub.jobs.watchdog import repair_index
from hub.pipeline import RunSummary, harvest_source
from hub.search.factory import open_index
from hub.settings import Settings
from hub.store import Store
from hub.store.clock import aware, utcnow
from hub.store.models import RunRow

logger = logging.getLogger(__name__)

JobProgress = Callable[[int, int], None]
"""Called with (run id, records seen so far)."""


@dataclass(frozen=True, slots=True)
class RunRequest:
    """A request to harvest a source once; its id makes re-deliveries of the request idempotent."""

    request_id: str
    source_id: str
    full: bool = False
    accept_deletions: bool = False


class SourceBusy(Exception):
    """Another run of the source holds its lock; try again in ``retry_in`` seconds."""

    def __init__(self, source_id: str, retry_in: float) -> None:
        super().__init__(f"source {source_id!r} is being harvested by another worker")
        self.retry_in = retry_in


class SourceLockLost(Exception):
    """The lease on the source lapsed during the run (the worker stalled); the run stops."""


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """What a job did: the run's summary, or (``duplicate``) the earlier run that already did it."""

    summary: RunSummary
    duplicate: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.as_dict(), "duplicate": self.duplicate}


def summary_of_row(row: RunRow) -> RunSummary:
    """A RunSummary read back from a finished run row."""
    finished, started = aware(row.finished_at), aware(row.started_at)
    seconds = (finished - started).total_seconds() if finished and started else 0.0
    return RunSummary(
        run_id=row.id,
        source_id=row.source_id,
        status=row.status,
        added=row.added,
        updated=row.updated,
        unchanged=row.unchanged,
        deleted=row.deleted,
        failed=row.failed,
        error=row.error,
        seconds=seconds,
        notes=list(row.notes or []),
    )


class JobSettings(Settings):
    """Settings whose HTTP policy paces requests through a shared per-host limiter."""

    _limiter: HostLimiter | None = PrivateAttr(default=None)

    @classmethod
    def wrapping(cls, settings: Settings, limiter: HostLimiter | None) -> JobSettings:
        made = cls(**settings.model_dump())
        made._limiter = limiter
        return made

    def http_policy(self) -> HttpPolicy:
        policy = super().http_policy()
        return polite_policy(policy, self._limiter) if self._limiter is not None else policy


def open_job_hub(settings: Settings, worker: str, request_id: str, limiter: HostLimiter | None) -> Hub:
    """A Hub like ``open_hub``'s, whose runs carry the worker and request, fetching politely."""
    settings.home.mkdir(parents=True, exist_ok=True)
    store = ClaimingStore(settings.resolved_database_url(), worker, request_id)
    store.create_all()
    index = open_index(
        settings.search_url,
        settings.home,
        settings.search_index,
        settings.search_connection(),
        merge_segments=settings.search_merge_segments,
    )
    hub = Hub(settings=JobSettings.wrapping(settings, limiter), store=store, index_opened=index)
    recover_hub(hub)
    return hub


def run_request(
    settings: Settings,
    request: RunRequest,
    *,
    lock: SourceLock,
    limiter: HostLimiter | None,
    worker: str,
    progress: JobProgress | None = None,
) -> JobOutcome:
    """Run a request once: a no-op when it already succeeded; SourceBusy while another run holds the source.

    Holding the source's lock proves no live worker runs it, so its `running` runs left behind
    by a lost worker are marked failed first; the harvest then starts from the last successful run.
    """
    hub = open_job_hub(settings, worker, request.request_id, limiter)
    try:
        if hub.store.get_source(request.source_id) is None:
            raise KeyError(f"no source {request.source_id!r}")
        done = _succeeded(hub.store, request.request_id)
        if done is not None:
            return JobOutcome(done, duplicate=True)
        if not lock.acquire():
            raise SourceBusy(request.source_id, retry_in=min(max(lock.remaining(), 0.5), 60.0))
        try:
            done = _succeeded(hub.store, request.request_id)
            if done is not None:
                return JobOutcome(done, duplicate=True)
            lost = hub.store.fail_lost_runs(utcnow(), source_id=request.source_id)
            for run in lost:
                logger.warning("source %s: run %s marked failed: %s", run.source_id, run.id, run.error)
            return JobOutcome(_harvest(hub, request, lock, progress, lost))
        finally:
            lock.release()
    finally:
        hub.close()


def _succeeded(store: Store, request_id: str) -> RunSummary | None:
    row = store.latest_run_for_request(request_id)
    return summary_of_row(row) if row is not None and row.status == "succeeded" else None


def _harvest(
    hub: Hub, request: RunRequest, lock: SourceLock, progress: JobProgress | None, lost: list[RunRow]
) -> RunSummary:
    store = hub.store
    assert isinstance(store, ClaimingStore)
    with Heartbeat(store, lock, heartbeat_interval(hub.settings.run_stale_seconds)) as heart:
        if lost:  # levelling the index after a large lost run outlasts a lease: the heart beats meanwhile
            repair_index(hub, lost)

        def on_record(seen: int) -> None:
            heart.beat_if_due()
            if heart.lost:
                raise SourceLockLost(f"the lease on source {request.source_id!r} lapsed during the run")
            if progress is not None and store.run_id is not None:
                progress(store.run_id, seen)

        return harvest_source(
            hub,
            request.source_id,
            full=request.full,
            progress=on_record,
            accept_deletions=request.accept_deletions,
        )
