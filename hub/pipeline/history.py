"""What node admins read about a source (API and CLI): its runs, their record errors, its quality report."""

from __future__ import annotations

from typing import Any

from hub.store import Store
from hub.store.models import RunRow
from normalizers.quality import assess, summarise


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


def quality_report(store: Store, source_id: str) -> dict[str, Any]:
    """The quality summary over a source's live records, and the record errors of its last run."""
    report = summarise(assess(r) for batch in store.iter_resources(source_id) for r in batch)
    runs = store.list_runs(source_id, limit=1)
    report["last_run_record_errors"] = len(store.run_errors(runs[0].id)) if runs else 0
    return report
