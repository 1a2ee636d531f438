"""What every `gkss` command shares: the console, opening the hub, failing clearly, run summaries."""

from __future__ import annotations

import sys
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hub.context import Hub, open_hub
from hub.pipeline import RunSummary
from hub.settings import Settings

console = Console(stderr=True)


def open_cli_hub() -> Hub:
    return open_hub(Settings())


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def source_options(metadata_prefix: str | None, set_spec: str | None, title: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if metadata_prefix:
        options["metadata_prefix"] = metadata_prefix
    if set_spec:
        options["set"] = set_spec
    if title:
        options["title"] = title
    return options


def progress_bar() -> Progress:
    """A transient spinner with a record count, shown only on a terminal."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} records"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not sys.stderr.isatty(),
    )


def print_summary(summary: RunSummary) -> None:
    colour = "green" if summary.status == "succeeded" else "red"
    line = (
        f"[{colour}]{summary.source_id}: run #{summary.run_id} {summary.status}[/{colour}] "
        f"added={summary.added} updated={summary.updated} unchanged={summary.unchanged} "
        f"deleted={summary.deleted} failed={summary.failed} ({summary.seconds:.1f} s)"
    )
    if summary.quarantined:
        line += f" quarantined={summary.quarantined}"
    if summary.not_modified:
        line += " not modified"
    console.print(line)
    if summary.error:
        console.print(f"  [red]error:[/red] {summary.error}")
    for note in summary.notes:
        console.print(f"  note: {note}")
