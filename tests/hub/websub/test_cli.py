"""``gkss websub list`` shows stored subscriptions and their delivery state, never their secrets."""

from __future__ import annotations

import json
from pathlib import Path

from hub.context import open_hub
from hub.settings import Settings
from hub.store.subscriptions import record_delivery, subscribe
from tests.support.cli_home import cli_home, gkss

__all__ = ["cli_home"]
NEWS = "http://node/feeds/atom?type=news"


def test_websub_list_shows_subscriptions_and_delivery_state_without_secrets(cli_home: Path) -> None:
    hub = open_hub(Settings(home=cli_home))
    try:
        subscribe(hub.store, "http://127.0.0.1:9/a", "http://node/feeds/atom?type=news", "hush", 600)
        subscribe(hub.store, "http://127.0.0.1:9/b", "http://node/feeds/json", None, 3600)
        record_delivery(
            hub.store, "http://127.0.0.1:9/a", "http://node/feeds/atom?type=news", "HTTP 500", False
        )
        record_delivery(
            hub.store, "http://127.0.0.1:9/a", "http://node/feeds/atom?type=news", "HTTP 503", False
        )
    finally:
        hub.close()
    rows = json.loads(gkss("websub", "list", "--json"))
    assert [(r["callback"], r["signed"], r["lease_seconds"]) for r in rows] == [
        ("http://127.0.0.1:9/a", True, 600),
        ("http://127.0.0.1:9/b", False, 3600),
    ]
    assert (rows[0]["last_status"], rows[0]["failures"]) == ("HTTP 503", 2)
    assert (rows[1]["last_status"], rows[1]["failures"]) == (None, 0)
    text = gkss("websub", "list")
    assert "hush" not in text and "hush" not in json.dumps(rows)
    assert "HTTP 503" in text
