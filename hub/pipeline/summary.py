"""The outcome of one run (a harvest or a re-normalisation): its status, counts, notes and error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.store.store import BatchResult


@dataclass(slots=True)
class RunSummary:
    """The outcome of one run, as the CLI and API report it."""

    run_id: int
    source_id: str
    status: str = "running"
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    skipped: int = 0
    quarantined: int = 0
    not_modified: bool = False
    error: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, batch: BatchResult) -> None:
        self.added += batch.added
        self.updated += batch.updated
        self.unchanged += batch.unchanged
        self.deleted += batch.deleted

    def outcome(self) -> dict[str, Any]:
        """What ``Store.finish_run`` records of the run: status, counts, notes and error."""
        return {
            "status": self.status,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "notes": list(self.notes),
            "error": self.error,
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "source": self.source_id,
            "status": self.status,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
            "not_modified": self.not_modified,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }
