"""Run bookkeeping: a harvest run started, finished and noted, claimed by a worker, kept alive by its
heartbeat, judged lost; what it changed and which records it could not take.

``RunLog`` is a part of ``hub.store.store.Store`` (which gives it its database sessions).
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from harvesters.records import RecordFailure
from hub.store import statements
from hub.store.clock import aware, utcnow
from hub.store.models import RecordErrorRow, RecordRow, RunRow
from normalizers.resource import Resource


def this_process() -> str:
    """The name a run carries for the process that runs it: ``"host pid N [pidns:I]"`` (workers:
    ``"node@host pid N [pidns:I]"``); crash recovery (``hub.recovery``) judges a run by its pid only
    in the same pid namespace (containers may share a host name, never a pid namespace)."""
    return f"{socket.gethostname()} pid {os.getpid()}{pid_namespace()}"


def pid_namespace() -> str:
    """`` [pidns:I]``: this process's pid namespace (Linux), or empty when unknown."""
    return _pid_namespace(os.getpid())


@functools.lru_cache(maxsize=4)
def _pid_namespace(pid: int) -> str:
    """The pid namespace of process ``pid`` (this one), read once per process: a run starts often."""
    try:
        return f" [{os.readlink('/proc/self/ns/pid').replace('pid:[', 'pidns:').rstrip(']')}]"
    except OSError:
        return ""


@dataclass(frozen=True, slots=True)
class RunEnd:
    """A run's end as recorded: its outcome (``RunSummary.outcome`` with its requests, bytes and
    statuses) and the state its source keeps for the next run (None: the source's state is left)."""

    run_id: int
    values: dict[str, Any]
    source_id: str
    state: dict[str, Any] | None = None


class RunLog:
    """The runs of the store's sources: their rows, notes, workers, heartbeats and record errors."""

    def session(self) -> Session:
        """A new session on the store's database (``Store`` provides it)."""
        raise NotImplementedError

    def begin(self) -> AbstractContextManager[Connection]:
        """A connection in a transaction, committed on leaving (``Store`` provides it)."""
        raise NotImplementedError

    def connect(self) -> AbstractContextManager[Connection]:
        """A connection for reads (``Store`` provides it)."""
        raise NotImplementedError

    def start_run(self, source_id: str, full: bool, window_from: datetime | None) -> RunRow:
        """A new running run of ``source_id``, committed (one INSERT: a group starts thousands)."""
        values: dict[str, Any] = {
            "source_id": source_id,
            "full": full,
            "started_at": utcnow(),
            "window_from": window_from,
            "status": "running",
            "worker": this_process(),
            **dict.fromkeys(("added", "updated", "unchanged", "deleted", "failed", "requests", "bytes"), 0),
            "statuses": {},
            "notes": [],
        }
        with self.begin() as connection:
            run_id = connection.execute(statements.RUN_INSERT, values).scalar_one()
        return RunRow(id=run_id, **values)

    def finish_run(self, run_id: int, **values: Any) -> RunRow:
        with self.session() as s, s.begin():
            row = s.get(RunRow, run_id)
            if row is None:
                raise KeyError(f"no run {run_id}")
            for key, value in values.items():
                setattr(row, key, value)
            row.finished_at = utcnow()
            return row

    def end_runs(self, ends: Sequence[RunEnd]) -> None:
        """Record runs as ended (``finish_run``) with their sources' states, in one transaction."""
        if not ends:
            return
        now = utcnow()
        with self.begin() as connection:
            connection.execute(
                statements.RUN_END,
                [{"run_key": end.run_id, **end.values, "finished_at": now} for end in ends],
            )
            states = [
                {"source_key": end.source_id, "state": end.state} for end in ends if end.state is not None
            ]
            if states:
                connection.execute(statements.SOURCE_STATE, states)

    def add_run_note(self, run_id: int, note: str) -> None:
        """Append a note to a finished run (what happened after it, e.g. its notification)."""
        with self.session() as s, s.begin():
            row = s.get(RunRow, run_id)
            if row is not None:
                row.notes = [*(row.notes or []), note]

    def get_run(self, run_id: int) -> RunRow | None:
        with self.session() as s:
            return s.get(RunRow, run_id)

    def list_runs(self, source_id: str, limit: int = 20) -> list[RunRow]:
        with self.session() as s:
            query = (
                select(RunRow).where(RunRow.source_id == source_id).order_by(RunRow.id.desc()).limit(limit)
            )
            return list(s.scalars(query))

    def count_run_records(self, run_id: int) -> int:
        """The records a run has written to the store so far (live and deleted): a running run's progress."""
        with self.session() as s:
            query = select(func.count()).select_from(RecordRow).where(RecordRow.run_id == run_id)
            return int(s.scalar(query) or 0)

    def last_successful_run(self, source_id: str) -> RunRow | None:
        with self.session() as s:
            query = (
                select(RunRow)
                .where(RunRow.source_id == source_id, RunRow.status == "succeeded")
                .order_by(RunRow.id.desc())
                .limit(1)
            )
            return s.scalars(query).first()

    def last_success_started(self, source_id: str) -> datetime | None:
        """When the source's last successful run began, in UTC (None: it has none)."""
        with self.connect() as connection:
            started: datetime | None = connection.execute(
                statements.LAST_SUCCESS, {"source": source_id}
            ).scalar()
        return aware(started)

    # --- runs taken by workers (scale-out) -------------------------------------------------

    def claim_run(self, run_id: int, *, worker: str, request_id: str | None) -> None:
        """Note which worker runs a run (for which job request) and beat its heart once."""
        with self.session() as s, s.begin():
            s.execute(
                update(RunRow)
                .where(RunRow.id == run_id)
                .values(worker=worker[:200], request_id=request_id, heartbeat_at=utcnow())
            )

    def heartbeat_run(self, run_id: int) -> bool:
        """Refresh a running run's heartbeat; False when the run is no longer running."""
        with self.session() as s, s.begin():
            result = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status == "running")
                .values(heartbeat_at=utcnow())
            )
            return bool(getattr(result, "rowcount", 0))

    def latest_run_for_request(self, request_id: str) -> RunRow | None:
        with self.session() as s:
            query = select(RunRow).where(RunRow.request_id == request_id).order_by(RunRow.id.desc()).limit(1)
            return s.scalars(query).first()

    def fail_lost_runs(self, older_than: datetime, source_id: str | None = None) -> list[RunRow]:
        """Mark failed the running runs whose worker's last heartbeat is older than ``older_than``.

        Runs without a heartbeat (in-process runs, which send none) are never judged.
        """
        lost: list[RunRow] = []
        with self.session() as s, s.begin():
            query = select(RunRow).where(
                RunRow.status == "running", RunRow.heartbeat_at.is_not(None), RunRow.heartbeat_at < older_than
            )
            if source_id is not None:
                query = query.where(RunRow.source_id == source_id)
            for row in list(s.scalars(query)):
                beat = aware(row.heartbeat_at)
                assert beat is not None
                error = f"worker lost (no heartbeat since {beat.isoformat(timespec='seconds')})"
                result = s.execute(
                    update(RunRow)
                    .where(
                        RunRow.id == row.id,
                        RunRow.status == "running",
                        RunRow.heartbeat_at == row.heartbeat_at,
                    )
                    .values(status="failed", error=error, finished_at=utcnow())
                )
                if getattr(result, "rowcount", 0):
                    row.status, row.error = "failed", error
                    lost.append(row)
        return lost

    def running_runs(self, source_id: str | None = None) -> list[RunRow]:
        """The runs still running that name the process running them, of ``source_id`` (all when None)."""
        query = select(RunRow).where(RunRow.status == "running", RunRow.worker.is_not(None))
        if source_id is not None:
            query = query.where(RunRow.source_id == source_id)
        with self.session() as s:
            return list(s.scalars(query))

    def fail_running_run(self, run_id: int, error: str) -> bool:
        """End the run as failed with ``error`` if it is still running; False when it no longer was."""
        with self.session() as s, s.begin():
            result = s.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status == "running")
                .values(status="failed", error=error, finished_at=utcnow())
            )
            return bool(getattr(result, "rowcount", 0))

    def finished_runs(self, source_id: str | None = None, limit: int = 50) -> list[RunRow]:
        """The newest ``limit`` runs that are not running, of ``source_id`` (all when None), newest first."""
        query = select(RunRow).where(RunRow.status != "running").order_by(RunRow.id.desc()).limit(limit)
        if source_id is not None:
            query = query.where(RunRow.source_id == source_id)
        with self.session() as s:
            return list(s.scalars(query))

    def iter_run_changes(self, run_id: int, batch: int = 1000) -> Iterator[tuple[list[Resource], list[str]]]:
        """What a run last changed, in batches of (live Resources, tombstone ids): to level the index
        after a lost run (its worker may have died between a store commit and the index write)."""
        with self.session() as s:
            query = select(RecordRow.id, RecordRow.deleted, RecordRow.resource).where(
                RecordRow.run_id == run_id
            )
            live: list[Resource] = []
            gone: list[str] = []
            for rid, deleted, text in s.execute(
                query.order_by(RecordRow.id).execution_options(yield_per=batch)
            ):
                if deleted or text is None:
                    gone.append(rid)
                else:
                    live.append(Resource.model_validate_json(text))
                if len(live) + len(gone) >= batch:
                    yield live, gone
                    live, gone = [], []
            if live or gone:
                yield live, gone

    def record_failures(self, run_id: int, failures: Sequence[RecordFailure]) -> None:
        if not failures:
            return
        with self.session() as s, s.begin():
            s.add_all(
                RecordErrorRow(
                    run_id=run_id, native_id=f.native_id, severity=f.severity, message=f.message[:4000]
                )
                for f in failures
            )

    def run_errors(self, run_id: int) -> list[RecordErrorRow]:
        with self.session() as s:
            query = select(RecordErrorRow).where(RecordErrorRow.run_id == run_id).order_by(RecordErrorRow.id)
            return list(s.scalars(query))
