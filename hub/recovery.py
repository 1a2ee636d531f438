"""Crash recovery: runs whose process died are ended as failed, and the index is levelled after them.

Every run names the process that runs it (``worker``: ``"[node@]host pid N"``). The next process
that opens the hub on the same host finds the runs whose process is gone (or was replaced by a
later one with the same pid), writes to the index again what those runs stored (their process may
have died between a store commit and the index write, and later runs find those records unchanged),
and only then marks them failed with the reason: a process that dies while recovering leaves the
run for the next one. A run that noted an index failure is levelled the same way by the next run of
its source. Runs on other hosts are judged by their heartbeat (the watchdog, ``hub.jobs``).
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hub.store.clock import aware, utcnow
from hub.store.models import RunRow
from hub.store.runs import pid_namespace

if TYPE_CHECKING:
    from hub.search.base import SearchIndex
    from hub.store import Store

logger = logging.getLogger(__name__)

_OWNER = re.compile(r"^(?:[^@\s]*@)?(?P<host>[^@\s]+) pid (?P<pid>\d+)(?P<ns> \[pidns:\d+\])?(?:\s|$)")
INDEX_FAILED = ("index update failed", "index refresh failed")  # how the pipeline's notes begin
LEVELLED = "index levelled from the store"  # the note that ends an index failure's repair


def _owner(worker: str | None) -> tuple[str, int] | None:
    match = _OWNER.match(worker or "")
    return (match["host"], int(match["pid"])) if match else None


def _here(worker: str | None) -> bool:
    """Whether ``worker`` names a process of this host and pid namespace (its pid is ours to judge)."""
    match = _OWNER.match(worker or "")
    namespace = pid_namespace()
    return bool(match and match["host"] == socket.gethostname() and namespace and match["ns"] == namespace)


def _process_start(pid: int) -> datetime | None:
    """When a process started (Linux /proc); None when unknown."""
    try:
        fields = open(f"/proc/{pid}/stat", "rb").read().rsplit(b")", 1)[1].split()  # noqa: SIM115
        ticks = int(fields[19])  # field 22 of stat: start time in clock ticks since boot
        with open("/proc/stat", "rb") as stat:
            boot = next(int(line.split()[1]) for line in stat if line.startswith(b"btime "))
    except (OSError, IndexError, ValueError, StopIteration):
        return None
    return datetime.fromtimestamp(boot + ticks / os.sysconf("SC_CLK_TCK"), UTC)


def process_gone(pid: int, since: datetime) -> bool:
    """Whether the process ``pid`` that was running at ``since`` has ended (a pid reused by a
    process started after ``since`` is another process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, run by another user
        pass
    started = _process_start(pid)
    return started is not None and started.timestamp() > since.timestamp() + 2  # start ticks are coarse


def dead_runs(store: Store, source_id: str | None = None) -> list[RunRow]:
    """The running runs whose process on this host is gone."""
    running = store.running_runs(source_id)
    dead = []
    for run in running:
        owner = _owner(run.worker)
        mine = owner is not None and _here(run.worker) and owner[1] != os.getpid()
        if mine and owner is not None and process_gone(owner[1], aware(run.started_at)):
            dead.append(run)
    return dead


def level_index(store: Store, index: SearchIndex, runs: Iterable[RunRow]) -> int:
    """Write to the index again what ``runs`` last stored (live records added, tombstones removed);
    returns how many records were written."""
    total = 0
    for run in runs:
        for live, gone in store.iter_run_changes(run.id):
            if live:
                total += index.add(live)
            if gone:
                index.delete(gone)
    index.refresh()
    return total


def _reason(run: RunRow) -> str:
    owner = _owner(run.worker)
    process = f"process {owner[1]} on {owner[0]}" if owner else f"process {run.worker}"
    if run.heartbeat_at is not None:  # a worker's run: the watchdog's words, with the cause
        beat = aware(run.heartbeat_at).isoformat(timespec="seconds")
        return f"worker lost (no heartbeat since {beat}; {process} is gone)"
    return f"process lost ({process} ended during the run; found by pid {os.getpid()})"


def recover(store: Store, index: Callable[[], SearchIndex], source_id: str | None = None) -> list[RunRow]:
    """End as failed, with the reason, every run whose process died (the index levelled first);
    then level the index after runs of ``source_id`` (all sources when None) that noted an index
    failure. ``index`` gives the index, opened only when a run needs it. Returns the runs ended."""
    ended: list[RunRow] = []
    for run in dead_runs(store, source_id):
        level_index(store, index(), [run])
        reason = _reason(run)
        if store.fail_running_run(run.id, reason):
            logger.warning("source %s: run %s ended as failed: %s", run.source_id, run.id, reason)
            run.status, run.error = "failed", reason
            ended.append(run)
    for run in _unlevelled(store, source_id):
        level_index(store, index(), [run])
        store.add_run_note(run.id, f"{LEVELLED} ({utcnow().isoformat(timespec='seconds')})")
    return ended


def _unlevelled(store: Store, source_id: str | None) -> list[RunRow]:
    """Finished runs that noted an index failure and were not levelled since (the newest 50)."""
    runs = store.finished_runs(source_id, limit=50)
    return [
        run
        for run in runs
        if any(str(n).startswith(INDEX_FAILED) for n in run.notes or [])
        and not any(str(n).startswith(LEVELLED) for n in run.notes or [])
    ]
