"""Harvest schedules: a source harvested every N seconds, claimed by one scheduler per period."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update

from hub.store.clock import aware, utcnow
from hub.store.models import ScheduleRow, SourceRow
from hub.store.store import Store

Schedules = Mapping[str, ScheduleRow]  # the schedules of a group's sources, by source (none: not there)


def set_schedule(store: Store, source_id: str, every_seconds: int | None) -> ScheduleRow | None:
    """Harvest a source every N seconds (due now, or one period after its last enqueue); None: off."""
    now = utcnow()
    with store.session() as s, s.begin():
        if s.get(SourceRow, source_id) is None:
            raise KeyError(f"no source {source_id!r}")
        row = s.get(ScheduleRow, source_id)
        if every_seconds is None:
            if row is not None:
                row.enabled = False
            return row
        if every_seconds <= 0:
            raise ValueError("every_seconds must be positive")
        last = aware(row.last_enqueued_at) if row is not None else None
        due = max(now, last + timedelta(seconds=every_seconds)) if last else now
        if row is None:
            row = ScheduleRow(source_id=source_id, every_seconds=every_seconds, enabled=True, next_run_at=due)
            s.add(row)
        else:
            row.every_seconds, row.enabled, row.next_run_at = every_seconds, True, due
        return row


def set_next_run(store: Store, source_id: str, when: datetime) -> None:
    """Move an enabled schedule's next run (adaptive polling)."""
    with store.session() as s, s.begin():
        s.execute(
            update(ScheduleRow)
            .where(ScheduleRow.source_id == source_id, ScheduleRow.enabled.is_(True))
            .values(next_run_at=when)
        )


def get_schedule(store: Store, source_id: str) -> ScheduleRow | None:
    with store.session() as s:
        return s.get(ScheduleRow, source_id)


def get_schedules(store: Store, source_ids: Iterable[str]) -> dict[str, ScheduleRow]:
    """The schedules of ``source_ids`` (those that have one), by source, read in one query."""
    wanted = list(dict.fromkeys(source_ids))
    if not wanted:
        return {}
    with store.session() as s:
        rows = s.scalars(select(ScheduleRow).where(ScheduleRow.source_id.in_(wanted)))
        return {row.source_id: row for row in rows}


def list_schedules(store: Store) -> list[ScheduleRow]:
    with store.session() as s:
        return list(s.scalars(select(ScheduleRow).order_by(ScheduleRow.source_id)))


def claim_due_schedules(store: Store, now: datetime | None = None) -> list[tuple[str, datetime]]:
    """Take every enabled schedule due at ``now`` and advance it past ``now`` (missed periods are
    skipped); returns (source id, the due time taken). Each period is taken by one caller only."""
    now = now or utcnow()
    claimed: list[tuple[str, datetime]] = []
    with store.session() as s:
        due = list(
            s.scalars(
                select(ScheduleRow).where(ScheduleRow.enabled.is_(True), ScheduleRow.next_run_at <= now)
            )
        )
    for row in due:
        when = aware(row.next_run_at)
        assert when is not None
        periods = int((now - when).total_seconds() // row.every_seconds) + 1
        following = when + timedelta(seconds=row.every_seconds * periods)
        with store.session() as s, s.begin():
            result = s.execute(
                update(ScheduleRow)
                .where(
                    ScheduleRow.source_id == row.source_id,
                    ScheduleRow.enabled.is_(True),
                    ScheduleRow.next_run_at <= now,
                )
                .values(next_run_at=following, last_enqueued_at=now)
            )
            if getattr(result, "rowcount", 0):
                claimed.append((row.source_id, when))
    return claimed
