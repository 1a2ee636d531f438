"""``GET /api/harvest/progress``: each source's latest harvest run as it goes (running, succeeded, failed,
quarantined), with the records written so far; what the portal and the admin page poll to show progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from hub.context import Hub
from hub.store.clock import aware
from hub.store.models import RunRow
from hub.web.labels import source_label
from registry.sources import StoredSource

NEVER = "never"  # the status of a source that was never harvested


def _time(value: Any) -> str | None:
    return aware(value).isoformat() if value is not None else None


def source_progress(hub: Hub, source: StoredSource, run: RunRow | None) -> dict[str, Any]:
    """One source's latest run: ``run_records`` is what the run wrote so far (all of it once ended),
    ``records`` the source's live records now."""
    return {
        "source": source.id,
        "name": source_label(source.id, source.options.title),
        "status": run.status if run else NEVER,
        "run": run.id if run else None,
        "started": _time(run.started_at) if run else None,
        "finished": _time(run.finished_at) if run else None,
        "run_records": hub.store.count_run_records(run.id) if run else 0,
        "records": hub.store.count_records(source.id),
    }


def harvest_progress(hub: Hub) -> dict[str, Any]:
    """Every source's latest run, running ones first, then the most recently started."""
    rows = []
    for source in hub.store.list_sources():
        runs = hub.store.list_runs(source.id, limit=1)
        rows.append(source_progress(hub, source, runs[0] if runs else None))
    rows.sort(key=lambda r: r["started"] or "")
    rows.reverse()
    rows.sort(key=lambda r: r["status"] != "running")
    counts = {
        status: sum(r["status"] == status for r in rows) for status in ("running", "succeeded", "failed")
    }
    return {**counts, "sources": rows}


def progress_router(current: Callable[[], Hub]) -> APIRouter:
    router = APIRouter()

    @router.get("/api/harvest/progress")
    def api_harvest_progress() -> dict[str, Any]:
        """Each source's latest harvest run (status, records so far, times): public, like /api/sources."""
        return harvest_progress(current())

    return router
