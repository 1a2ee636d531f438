"""Enqueue harvest requests and wait for them, as the CLI does when a broker is set."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from hub.jobs.runner import RunRequest
from hub.jobs.task_names import HARVEST_TASK, QUEUE
from hub.pipeline import RunSummary


class JobFailed(Exception):
    """The task itself failed (not the run: a failed run is a result with status "failed")."""


def new_request(source_id: str, full: bool = False, accept_deletions: bool = False) -> RunRequest:
    return RunRequest(f"harvest:{source_id}:{uuid.uuid4().hex}", source_id, full, accept_deletions)


def send_request(app: Any, request: RunRequest) -> str:
    """Put a harvest request on the queue; the task id is the request id."""
    app.send_task(
        HARVEST_TASK,
        kwargs={
            "request_id": request.request_id,
            "source_id": request.source_id,
            "full": request.full,
            "accept_deletions": request.accept_deletions,
        },
        task_id=request.request_id,
        queue=QUEUE,
    )
    return request.request_id


def summary_from_dict(data: dict[str, Any]) -> RunSummary:
    """The RunSummary a task returned (``RunSummary.as_dict()``)."""
    return RunSummary(
        run_id=int(data["run_id"]),
        source_id=str(data["source"]),
        status=str(data["status"]),
        added=int(data["added"]),
        updated=int(data["updated"]),
        unchanged=int(data["unchanged"]),
        deleted=int(data["deleted"]),
        failed=int(data["failed"]),
        skipped=int(data.get("skipped", 0)),
        quarantined=int(data.get("quarantined", 0)),
        not_modified=bool(data.get("not_modified", False)),
        error=data.get("error"),
        seconds=float(data.get("seconds", 0.0)),
        notes=[str(n) for n in data.get("notes", [])],
    )


def wait_for(
    app: Any,
    task_id: str,
    on_state: Callable[[str, dict[str, Any]], None] | None = None,
    poll: float = 0.5,
    timeout: float | None = None,
) -> RunSummary:
    """Poll the task until it ends; ``on_state(state, info)`` hears PENDING/STARTED/PROGRESS/RETRY."""
    result = app.AsyncResult(task_id)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        state = str(result.state)
        if state == "SUCCESS":
            return summary_from_dict(result.result["summary"])
        if state in ("FAILURE", "REVOKED"):
            raise JobFailed(f"task {task_id} {state.lower()}: {result.result!r}")
        if on_state is not None:
            info = result.info
            on_state(state, info if isinstance(info, dict) else {})
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"task {task_id} still {state} after {timeout:g} s")
        time.sleep(poll)
