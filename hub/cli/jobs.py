"""The `gkss` commands of scale-out mode: harvests through the broker, worker, scheduler, schedules."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hub.cli.common import cli_settings, console, error, fail, open_cli_hub, print_summary, progress_bar

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from hub.pipeline import RunSummary
    from hub.settings import Settings


def harvest_via_broker(
    settings: Settings,
    source_id: str | None,
    all_sources: bool,
    *,
    full: bool,
    as_json: bool,
    no_wait: bool,
    accept_deletions: bool = False,
) -> None:
    """Enqueue one request per source, then (unless no_wait) follow each to its summary."""
    from hub.context import open_hub
    from hub.jobs.celery_app import make_celery
    from hub.jobs.client import JobFailed, new_request, send_request, wait_for
    from registry.sources import source_enabled

    hub = open_hub(settings)
    try:
        ids = (
            [s.id for s in hub.store.list_sources() if source_enabled(s)] if all_sources else [str(source_id)]
        )
        missing = [sid for sid in ids if hub.store.get_source(sid) is None]
    finally:
        hub.close()
    if missing:
        raise fail(f"no source {missing[0]!r}", 2)
    jobs = make_celery(settings)
    requests = [new_request(sid, full, accept_deletions) for sid in ids]
    for request in requests:
        send_request(jobs, request)
        if not no_wait:
            console.print(f"{request.source_id}: queued as {request.request_id}", style="dim")
    if no_wait:
        for request in requests:
            typer.echo(request.request_id)
        return
    summaries: list[RunSummary] = []
    lost = False
    for request in requests:
        with progress_bar() as bar:
            task = bar.add_task(f"{request.source_id}: queued", total=None)

            def on_state(
                state: str,
                info: dict[str, Any],
                bar: Progress = bar,
                task: TaskID = task,
                sid: str = request.source_id,
            ) -> None:
                what = _JOB_STATES.get(state, state.lower())
                if state == "PROGRESS":
                    what = f"harvesting on {info.get('worker', 'a worker')}"
                bar.update(task, description=f"{sid}: {what}", completed=int(info.get("seen", 0)))

            try:
                summary = wait_for(jobs, request.request_id, on_state)
            except JobFailed as exc:
                error(f"{request.source_id}: {exc}")
                lost = True
                continue
        summaries.append(summary)
        print_summary(summary)
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in summaries], indent=2))
    if lost or any(s.status != "succeeded" for s in summaries):
        raise typer.Exit(1)


_JOB_STATES = {
    "PENDING": "queued, waiting for a worker",
    "STARTED": "started",
    "RETRY": "waiting: another run of this source is in progress",
}


def worker(
    concurrency: Annotated[int | None, typer.Option(help="Runs at once (default: CPU count)")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """Run a Celery worker for the gkss queue (needs GKSS_BROKER_URL)."""
    if not cli_settings().broker_url:
        raise fail("GKSS_BROKER_URL is not set; without a broker `gkss harvest` runs in-process", 2)
    from hub.jobs.celery_app import QUEUE, default_app

    open_cli_hub().close()  # crash recovery: runs of dead processes on this host ended, index levelled
    argv = ["worker", "-Q", QUEUE, "--pool", "prefork", "--loglevel", loglevel, "--hostname", "gkss@%h"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    default_app().worker_main(argv)


def scheduler(
    loglevel: Annotated[str, typer.Option(help="Celery beat log level")] = "INFO",
) -> None:
    """Run the schedules: Celery beat with GKSS_BROKER_URL, else harvest due sources in-process."""
    settings = cli_settings()
    if settings.broker_url:
        from hub.jobs.celery_app import default_app

        default_app().start(["beat", "--loglevel", loglevel])
        return
    from hub.jobs.schedule import run_in_process

    console.print(
        f"in-process scheduler: due sources every {settings.scheduler_tick_seconds:g} s (Ctrl-C stops)"
    )
    run_in_process(settings, report=lambda outcome: print_summary(outcome.summary))


def sources_schedule(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    every: Annotated[int | None, typer.Option(help="Harvest every N seconds", min=1)] = None,
    off: Annotated[bool, typer.Option("--off", help="Stop harvesting on a schedule")] = False,
) -> None:
    """Harvest a source on a schedule kept in the database (run by `gkss scheduler`)."""
    if (every is None) != off:
        raise fail("give --every N or --off", 2)
    from hub.store.schedules import set_schedule

    hub = open_cli_hub()
    try:
        try:
            row = set_schedule(hub.store, source_id, None if off else every)
        except KeyError as exc:
            raise fail(str(exc.args[0]), 2) from None
    finally:
        hub.close()
    if row is None or not row.enabled:
        console.print(f"source {source_id}: no schedule")
    else:
        console.print(
            f"source {source_id}: every {row.every_seconds} s, next due "
            f"{row.next_run_at.isoformat(timespec='seconds')}"
        )
