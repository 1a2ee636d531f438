"""The watchdog: runs whose worker stopped beating are marked failed, so the next run resumes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from hub.context import Hub
from hub.store import Store
from hub.store.clock import utcnow
from hub.store.models import RunRow


def reap_lost_runs(store: Store, stale_seconds: float, now: datetime | None = None) -> list[RunRow]:
    """Mark failed ("worker lost (no heartbeat since ...)") every running run silent for ``stale_seconds``.

    The next run of such a source starts from its last *successful* run, so nothing is skipped.
    """
    moment = now or utcnow()
    return store.fail_lost_runs(moment - timedelta(seconds=stale_seconds))


def repair_index(hub: Hub, lost: Iterable[RunRow]) -> int:
    """Write to the index again what lost runs stored: their worker may have died between a store
    commit and the index write, and the next run finds those records unchanged. Returns how many."""
    total = 0
    for run in lost:
        for live, gone in hub.store.iter_run_changes(run.id):
            if live:
                total += hub.index.add(live)
            if gone:
                hub.index.delete(gone)
    hub.index.refresh()
    return total
