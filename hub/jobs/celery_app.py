"""The Celery app, configured from Settings: Redis broker and results, late acks, one task at a time."""

from __future__ import annotations

import functools
from typing import Any

from hub.jobs.task_names import ENQUEUE_DUE_TASK as ENQUEUE_DUE_TASK
from hub.jobs.task_names import HARVEST_TASK as HARVEST_TASK
from hub.jobs.task_names import QUEUE as QUEUE
from hub.jobs.task_names import WATCHDOG_TASK as WATCHDOG_TASK
from hub.settings import Settings


def make_celery(settings: Settings) -> Any:
    """A Celery app on ``GKSS_BROKER_URL`` (Redis) with the gkss tasks and beat entries."""
    from celery import Celery  # type: ignore[import-untyped]

    from hub.jobs.tasks import register_tasks

    url = settings.broker_url
    app = Celery("gkss", broker=url, backend=url, set_as_current=False)
    visibility = int(settings.job_visibility_timeout)
    tick = float(settings.scheduler_tick_seconds)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        task_routes={"gkss.*": {"queue": QUEUE}},
        task_track_started=True,
        result_extended=True,
        result_expires=7 * 24 * 3600,
        # A message taken by a worker that vanished goes back to the queue after `visibility`
        # seconds; look for such messages often enough for that to matter.
        broker_transport_options={
            "visibility_timeout": visibility,
            "unacked_restore_interval": max(1, min(60, visibility // 4)),
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": visibility},
        broker_connection_retry_on_startup=True,
        enable_utc=True,
        timezone="UTC",
        beat_schedule={
            "gkss-enqueue-due-sources": {"task": ENQUEUE_DUE_TASK, "schedule": tick},
            "gkss-watchdog": {"task": WATCHDOG_TASK, "schedule": tick},
        },
        beat_schedule_filename=str(settings.home / "celerybeat-schedule"),
    )
    register_tasks(app)
    return app


@functools.cache
def default_app() -> Any:
    """The app ``celery -A hub.jobs`` finds, from the environment's Settings."""
    app = make_celery(Settings())
    app.set_current()
    return app
