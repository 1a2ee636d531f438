"""The queue and task names the Celery app, its tasks and the clients that enqueue them share."""

from __future__ import annotations

QUEUE = "gkss"
HARVEST_TASK = "gkss.harvest"
ENQUEUE_DUE_TASK = "gkss.enqueue_due"
WATCHDOG_TASK = "gkss.watchdog"
