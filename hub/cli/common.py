"""What every `gkss` command shares: the console, opening the hub, failing clearly, run summaries.

Light on purpose: every command module imports it, and `gkss --help` loads every command module, so
what opens the hub (the store, the settings, the search engine) is imported when a command runs.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from rich.progress import Progress

    from hub.context import Hub
    from hub.pipeline import RunSummary
    from hub.settings import Settings

console = Console(stderr=True, markup=False)
"""Messages (stderr). Markup is off in both consoles: text prints as written (``[a-z]`` included);
colour comes from ``style=`` or ``Text`` only."""
out = Console(markup=False)
"""Tables and listings (stdout)."""


def cli_settings() -> Settings:
    """The settings as the environment gives them (pydantic-settings imported only now)."""
    from hub.settings import Settings

    return Settings()


def open_cli_hub(*, lazy_index: bool = False) -> Hub:
    """The hub as the settings (environment) describe it: store, search index and settings
    (``lazy_index``: the index opened only if used, for commands that read the store alone)."""
    from hub.context import open_hub

    return open_hub(cli_settings(), lazy_index=lazy_index)


def error(message: str, indent: str = "") -> None:
    """Print an error as written (never read as markup, never wrapped): every command's error path."""
    console.print(Text.assemble(indent, ("error:", "red"), " ", message), soft_wrap=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print the error and give the Exit to raise (``raise fail(...)``)."""
    error(message)
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
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
    head = f"{summary.source_id}: run #{summary.run_id} {summary.status}"
    line = (
        f" added={summary.added} updated={summary.updated} unchanged={summary.unchanged} "
        f"deleted={summary.deleted} failed={summary.failed} ({summary.seconds:.1f} s)"
    )
    if summary.quarantined:
        line += f" quarantined={summary.quarantined}"
    if summary.not_modified:
        line += " not modified"
    console.print(Text.assemble((head, colour), line))
    if summary.error:
        error(summary.error, indent="  ")
    for note in summary.notes:
        console.print(f"  note: {note}")
