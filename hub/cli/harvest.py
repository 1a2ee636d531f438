"""`gkss harvest` and `gkss runs`: harvest sources here (or through the broker) and show their runs."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from hub.cli.common import cli_settings, fail, open_cli_hub, print_summary, progress_bar
from hub.cli.jobs import harvest_via_broker

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from hub.pipeline import RunSummary


def harvest(
    source_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="The source to harvest")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Harvest every source")] = False,
    full: Annotated[bool, typer.Option("--full", help="Ignore the incremental state")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summaries as JSON")] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="With GKSS_BROKER_URL: enqueue, print the task ids, return")
    ] = False,
    accept_deletions: Annotated[
        bool,
        typer.Option(
            "--accept-deletions",
            help="Apply deletions even beyond the source's max_delete_share (not quarantined)",
        ),
    ] = False,
) -> None:
    """Harvest one source (or --all): incremental by default; exit 1 when a run failed or was quarantined.

    With GKSS_BROKER_URL set the runs are enqueued for `gkss worker`s, and waited for.
    """
    if bool(source_id) == all_sources:
        raise fail("give one source ID or --all", 2)
    settings = cli_settings()
    if settings.broker_url:
        harvest_via_broker(
            settings,
            source_id,
            all_sources,
            full=full,
            as_json=as_json,
            no_wait=no_wait,
            accept_deletions=accept_deletions,
        )
        return
    from harvesters.http import make_client
    from hub.pipeline.group import RunGroup
    from registry.sources import source_enabled

    def ended(summary: RunSummary) -> None:
        summaries.append(summary)
        print_summary(summary)

    hub = open_cli_hub()
    summaries: list[RunSummary] = []
    try:
        ids = (
            [s.id for s in hub.store.list_sources() if source_enabled(s)] if all_sources else [str(source_id)]
        )
        # one group: the runs' index writes share commits, each run printed once searchable
        with (
            make_client(hub.settings.http_policy()) as client,
            RunGroup(hub, ended, planned=ids, full=full) as group,
        ):
            for sid in ids:
                if not all_sources and hub.store.get_source(sid) is None:
                    raise fail(f"no source {sid!r}", 2)
                with progress_bar() as bar:
                    task = bar.add_task(f"harvesting {sid}", total=None)

                    def progress(seen: int, bar: Progress = bar, task: TaskID = task) -> None:
                        bar.update(task, completed=seen)

                    try:
                        group.harvest(
                            sid,
                            full=full,
                            progress=progress,
                            client=client,
                            accept_deletions=accept_deletions,
                        )
                    except KeyError:  # an admin removed it since --all listed it: the others still run
                        if not all_sources or hub.store.get_source(sid) is not None:
                            raise
                        gone = f"source {sid!r} was removed after the harvest began: not harvested"
                        typer.echo(gone, err=True)
                        group.skip(sid)
    finally:
        hub.close()
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in summaries], indent=2))
    if any(s.status != "succeeded" for s in summaries):
        raise typer.Exit(1)


def runs(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    limit: Annotated[int, typer.Option(help="How many runs")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show a source's recent runs with their counts, errors and per-record failures."""
    from hub.pipeline.history import run_json

    hub = open_cli_hub()
    try:
        if hub.store.get_source(source_id) is None:
            raise fail(f"no source {source_id!r}", 2)
        rows = [run_json(hub.store, run) for run in hub.store.list_runs(source_id, limit=limit)]
    finally:
        hub.close()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        typer.echo(
            f"#{row['id']} {row['status']} {row['started']} added={row['added']} updated={row['updated']} "
            f"unchanged={row['unchanged']} deleted={row['deleted']} failed={row['failed']}"
        )
        if row["error"]:
            typer.echo(f"    error: {row['error']}")
        for err in row["record_errors"]:
            typer.echo(f"    {err['severity']}: {err['native_id']}: {err['message']}")
