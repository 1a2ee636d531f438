"""Adaptive polling of feeds: a scheduled feed is next polled by how often it publishes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from hub.context import Hub
from hub.store import records
from hub.store.schedules import Schedules, get_schedule, set_next_run
from registry.source_options import common_options
from registry.sources import StoredSource

WINDOW = timedelta(days=7)
SAMPLE = 200  # the most recently changed records a frequency is read from


def poll_interval(published: Iterable[datetime], now: datetime, minimum: int, maximum: int) -> int:
    """Seconds until the next poll: the window divided by the entries published in it (a feed with
    14 entries a week is polled every 12 hours), within ``minimum`` and ``maximum``; a feed that
    published nothing in the window waits ``maximum``."""
    count = sum(1 for moment in published if now - WINDOW <= moment <= now + timedelta(days=1))
    if count == 0:
        return maximum
    return int(max(minimum, min(maximum, WINDOW.total_seconds() / count)))


def published_dates(hub: Hub, source_id: str) -> list[datetime]:
    """When the source's most recently changed live records were published (or else modified)."""
    documents = records.newest_resources(hub.store, source_id, SAMPLE)
    moments: list[datetime] = []
    for text in documents:
        resource = json.loads(text)
        moment = (
            _moment(resource.get("published_at"))
            or _moment(resource.get("published"))
            or _moment(resource.get("modified"))
        )
        if moment is not None:
            moments.append(moment)
    return moments


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def adapt_schedule(hub: Hub, source: StoredSource, schedules: Schedules | None = None) -> int | None:
    """Move a scheduled feed's next poll by its publishing frequency, from ``hub.clock()``; the
    schedule's period is the longest wait. Returns the interval chosen (None: not a scheduled,
    adaptive feed). ``schedules``: the schedules read for a group of sources (None: read it here)."""
    if source.protocol != "feed" or not common_options(source.options).adaptive_polling:
        return None
    schedule = get_schedule(hub.store, source.id) if schedules is None else schedules.get(source.id)
    if schedule is None or not schedule.enabled:
        return None
    now = hub.clock()
    maximum = schedule.every_seconds
    interval = poll_interval(
        published_dates(hub, source.id), now, min(hub.settings.poll_min_seconds, maximum), maximum
    )
    set_next_run(hub.store, source.id, now + timedelta(seconds=interval))
    return interval
