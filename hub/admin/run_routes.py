"""Admin routes that start work on a source: harvest now, and the schedule it is harvested on."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from hub.admin.auth import check, done, principal_dependency
from hub.context import Hub
from hub.store.schedules import get_schedule, set_schedule
from registry.rights import Principal

logger = logging.getLogger(__name__)
MIN_EVERY = 300  # seconds: no source is harvested more often than every five minutes


class ScheduleIn(BaseModel):
    """How often to harvest the source (seconds); null stops the schedule."""

    every_seconds: int | None = Field(default=None, ge=MIN_EVERY, le=366 * 24 * 3600)


class HarvestIn(BaseModel):
    full: bool = False


def schedule_json(hub: Hub, source_id: str) -> dict[str, Any]:
    row = get_schedule(hub.store, source_id)
    if row is None:
        return {"source": source_id, "every_seconds": None, "enabled": False, "next_run": None}
    return {
        "source": source_id,
        "every_seconds": row.every_seconds,
        "enabled": row.enabled,
        "next_run": row.next_run_at.isoformat() if row.enabled else None,
    }


class InProcessRuns:
    """Harvests started from the admin API on an embedded hub: one thread per source at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[str] = set()

    def start(self, hub: Hub, source_id: str, full: bool) -> bool:
        """Start a run in a thread; False when one of this source is already running here."""
        with self._lock:
            if source_id in self._running:
                return False
            self._running.add(source_id)
        thread = threading.Thread(
            target=self._run, args=(hub, source_id, full), name=f"harvest-{source_id}", daemon=True
        )
        thread.start()
        return True

    def _run(self, hub: Hub, source_id: str, full: bool) -> None:
        from hub.pipeline import harvest_source

        try:
            harvest_source(hub, source_id, full=full)
        except Exception:  # the run is recorded as failed by the pipeline; nothing to answer here
            logger.exception("harvest of %s started from the admin API failed", source_id)
        finally:
            with self._lock:
                self._running.discard(source_id)


def run_router(current: Callable[[], Hub]) -> APIRouter:
    """``POST /api/admin/sources/{id}/harvest`` and ``GET``/``PUT /api/admin/sources/{id}/schedule``."""
    authed = principal_dependency(current)
    router = APIRouter(prefix="/api/admin", tags=["admin"])
    runs = InProcessRuns()

    def managed(hub: Hub, caller: Principal, source_id: str, action: str | None) -> str | None:
        source = hub.store.get_source(source_id)
        if source is None:
            raise HTTPException(status_code=404, detail=f"no source {source_id!r}")
        check(hub, caller, action or "source.get", f"source {source_id}", source.node_id, manage=bool(action))
        return source.node_id

    @router.post("/sources/{source_id}/harvest", status_code=202)
    def harvest_now(
        source_id: str, caller: Principal = Depends(authed), body: HarvestIn | None = None
    ) -> dict[str, Any]:
        """Harvest the source now: queued for the workers (GKSS_BROKER_URL) or run in the hub's process.
        Follow it in the source's runs."""
        hub = current()
        node = managed(hub, caller, source_id, "source.harvest")
        full = bool(body and body.full)
        answer: dict[str, Any]
        if hub.settings.broker_url:
            from hub.jobs.celery_app import make_celery
            from hub.jobs.client import new_request, send_request

            request = new_request(source_id, full)
            send_request(make_celery(hub.settings), request)
            answer = {"source": source_id, "status": "queued", "request": request.request_id}
        elif runs.start(hub, source_id, full):
            answer = {"source": source_id, "status": "started", "request": None}
        else:
            raise HTTPException(status_code=409, detail=f"a harvest of {source_id!r} is already running")
        done(hub, caller, "source.harvest", f"source {source_id}", node, {"full": full})
        return answer

    @router.get("/sources/{source_id}/schedule")
    def schedule_get(source_id: str, caller: Principal = Depends(authed)) -> dict[str, Any]:
        hub = current()
        managed(hub, caller, source_id, None)
        return schedule_json(hub, source_id)

    @router.put("/sources/{source_id}/schedule")
    def schedule_put(source_id: str, body: ScheduleIn, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Harvest the source every ``every_seconds`` (run by `gkss scheduler`); null stops it."""
        hub = current()
        node = managed(hub, caller, source_id, "source.schedule")
        set_schedule(hub.store, source_id, body.every_seconds)
        detail = {"every_seconds": body.every_seconds}
        done(hub, caller, "source.schedule", f"source {source_id}", node, detail)
        return schedule_json(hub, source_id)

    return router
