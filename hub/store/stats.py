"""What the store counts for the metrics: runs per source and outcome with their summed counts, each
run's moments and HTTP statuses, records per source live and deleted."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select

from hub.store.models import RecordRow, RunRow
from hub.store.store import Store

RUN_COUNTS = ("added", "updated", "unchanged", "deleted", "failed")  # the record changes a run counts


class RunTotals(NamedTuple):
    """The runs of one source that ended one way (``status``): how many, and their summed counts."""

    source_id: str
    status: str
    runs: int
    changes: dict[str, int]  # RUN_COUNTS -> summed
    bytes: int


class RunMoment(NamedTuple):
    """One run: when it started and finished (None while running), how it ended, its HTTP statuses."""

    source_id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    statuses: dict[str, int]


def run_totals(store: Store) -> list[RunTotals]:
    """Per source and outcome: the number of runs and the sums of their counts and bytes."""
    sums = (func.coalesce(func.sum(getattr(RunRow, name)), 0) for name in (*RUN_COUNTS, "bytes"))
    query = select(RunRow.source_id, RunRow.status, func.count(), *sums).group_by(
        RunRow.source_id, RunRow.status
    )
    with store.session() as s:
        rows = s.execute(query).all()
    return [
        RunTotals(
            source,
            status,
            int(runs),
            dict(zip(RUN_COUNTS, map(int, counted), strict=False)),
            int(counted[-1]),
        )
        for source, status, runs, *counted in rows
    ]


def run_timeline(store: Store) -> list[RunMoment]:
    """Every run in the order they started (then by id)."""
    query = select(
        RunRow.source_id, RunRow.status, RunRow.started_at, RunRow.finished_at, RunRow.statuses
    ).order_by(RunRow.started_at, RunRow.id)
    with store.session() as s:
        return [
            RunMoment(source, status, started, ended, statuses or {})
            for source, status, started, ended, statuses in s.execute(query)
        ]


def record_counts(store: Store) -> dict[tuple[str, bool], int]:
    """How many records each source has, live (False) and deleted (True)."""
    query = select(RecordRow.source_id, RecordRow.deleted, func.count()).group_by(
        RecordRow.source_id, RecordRow.deleted
    )
    counted: dict[tuple[str, bool], int] = {}
    with store.session() as s:
        for source, deleted, count in s.execute(query):
            key = (source, bool(deleted))
            counted[key] = counted.get(key, 0) + int(count)
    return counted
