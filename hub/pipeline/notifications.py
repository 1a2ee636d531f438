"""Run notifications: a source's webhook hears of its failed runs (or every run), off the harvest's path."""

from __future__ import annotations

import json
import threading
from typing import Any

from hub.context import Hub
from hub.pipeline.history import run_json
from hub.webhook import post
from registry.source_options import common_options
from registry.sources import StoredSource

EVENT_HEADER = "X-Gkss-Event"


def notification(hub: Hub, source: StoredSource, run_id: int) -> dict[str, Any]:
    """The JSON a webhook receives: which hub, which source, and the run as the admin API shows it."""
    run = hub.store.get_run(run_id)
    if run is None:
        raise KeyError(f"no run {run_id}")
    body = run_json(hub.store, run, errors=False)
    body["record_errors"] = len(hub.store.run_errors(run_id))
    return {
        "event": f"run.{run.status}",
        "hub": hub.settings.node_id,
        "source": {"id": source.id, "protocol": source.protocol, "url": source.url, "node": source.node_id},
        "run": body,
    }


def notify_source(hub: Hub, source: StoredSource, run_id: int, status: str) -> threading.Thread | None:
    """POST the run to the source's webhook when its policy asks for it, in a thread of its own: a slow
    or dead receiver never holds the harvest up. The outcome is added to the run's notes."""
    url = common_options(source.options).notify_target(status)
    if url is None:
        return None
    document = notification(hub, source, run_id)
    body = json.dumps(document).encode()
    headers = {"Content-Type": "application/json", EVENT_HEADER: document["event"]}
    policy = hub.settings.http_policy()

    def deliver() -> None:
        delivered, outcome = post(url, body, headers, policy, hub.settings.notify_timeout)
        note = f"notification to {url}: {'delivered' if delivered else 'not delivered'} ({outcome})"
        hub.store.add_run_note(run_id, note)

    thread = threading.Thread(target=deliver, name=f"notify-{source.id}-{run_id}")
    thread.start()
    return thread
