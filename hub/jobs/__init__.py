"""Scale-out jobs: the Celery app (`celery -A hub.jobs`), harvest task, schedules, watchdog, politeness."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """``hub.jobs.app`` is the Celery app built from the environment's Settings, made on first use."""
    if name == "app":
        from hub.jobs.celery_app import default_app

        return default_app()
    raise AttributeError(f"module 'hub.jobs' has no attribute {name!r}")
