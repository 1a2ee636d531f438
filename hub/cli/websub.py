"""``gkss websub list``: the stored subscriptions and their delivery state, read-only; secrets not shown."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from hub.cli.common import console, open_cli_hub

if TYPE_CHECKING:
    from hub.store.subscriptions import Subscription

websub_app = typer.Typer(help="WebSub subscriptions of this hub (read-only).", no_args_is_help=True)


def _row(sub: Subscription) -> dict[str, object]:
    return {
        "callback": sub.callback,
        "topic": sub.topic,
        "signed": sub.secret is not None,
        "lease_seconds": sub.lease_seconds,
        "expires_at": sub.expires_at.isoformat(),
        "last_status": sub.last_status,
        "failures": sub.failures,
    }


@websub_app.command("list")
def websub_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """Every subscription (expired ones until they are purged): topic, callback, lease, last delivery."""
    from hub.store.subscriptions import listing

    hub = open_cli_hub()
    try:
        rows = [_row(sub) for sub in listing(hub.store)]
    finally:
        hub.close()
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    table = Table("topic", "callback", "signed", "expires", "last status", "failures")
    for row in rows:
        table.add_row(
            str(row["topic"]),
            str(row["callback"]),
            "yes" if row["signed"] else "no",
            str(row["expires_at"]),
            str(row["last_status"] or "-"),
            str(row["failures"]),
        )
    console.print(table)
