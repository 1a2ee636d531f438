"""A run as node admins read it (API and CLI): counts, duration, bytes, HTTP statuses, record errors."""

from __future__ import annotations

from typing import Any

from hub.store import Store
from hub.store.models import RunRow


def run_json(store: Store, run: RunRow, *, errors: bool = True) -> dict[str, Any]:
    """One run; ``errors`` adds its per-record errors with their severity."""
    finished = run.finished_at
    seconds = (
        round((finished - run.started_at).total_seconds(), 3)
        if finished is not None and run.started_at is not None
        else None
    )
    row: dict[str, Any] = {
        "id": run.id,
        "source": run.source_id,
        "status": run.status,
        "full": run.full,
        "started": run.started_at.isoformat(),
        "finished": finished.isoformat() if finished else None,
        "seconds": seconds,
        "added": run.added,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "deleted": run.deleted,
        "failed": run.failed,
        "requests": run.requests,
        "bytes": run.bytes,
        "statuses": run.statuses,
        "error": run.error,
        "notes": run.notes,
    }
    if errors:
        row["record_errors"] = [
            {"native_id": e.native_id, "severity": e.severity, "message": e.message}
            for e in store.run_errors(run.id)
        ]
    return row
