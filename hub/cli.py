"""The `gkss` command line: sources, harvests, search, serve."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from hub.context import Hub, open_hub
from hub.pipeline import RunSummary, harvest_source
from hub.results import BadSearchParameter, build_query, page_json
from hub.settings import Settings
from registry.sources import SourceConfig

app = typer.Typer(
    help="gkss-hub: harvest, normalise, index and re-publish biodiversity knowledge.", no_args_is_help=True
)
sources_app = typer.Typer(help="Register and manage sources.", no_args_is_help=True)
index_app = typer.Typer(help="Look after the search index.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(index_app, name="index")
console = Console(stderr=True)


def _hub() -> Hub:
    return open_hub(Settings())


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _options(metadata_prefix: str | None, set_spec: str | None, title: str | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if metadata_prefix:
        options["metadata_prefix"] = metadata_prefix
    if set_spec:
        options["set"] = set_spec
    if title:
        options["title"] = title
    return options


@sources_app.command("add")
def sources_add(
    source_id: Annotated[
        str, typer.Argument(metavar="ID", help="Short id: lower-case letters, digits, . _ -")
    ],
    protocol: Annotated[str, typer.Option(help="feed, oai-pmh or cbd-index")],
    url: Annotated[str, typer.Option(help="Feed URL or OAI-PMH base URL")],
    metadata_prefix: Annotated[str | None, typer.Option(help="OAI-PMH metadataPrefix (oai_dc)")] = None,
    set_spec: Annotated[str | None, typer.Option("--set", help="OAI-PMH setSpec")] = None,
    title: Annotated[str | None, typer.Option(help="A display name")] = None,
    preset: Annotated[
        str | None, typer.Option(help="cbd-index preset: notifications, meetings, decisions, ...")
    ] = None,
) -> None:
    """Register a source."""
    options = _options(metadata_prefix, set_spec, title)
    if preset:
        options["preset"] = preset
    try:
        config = SourceConfig(id=source_id, protocol=protocol, url=url, options=options)
    except ValidationError as exc:
        raise _fail("; ".join(str(e["msg"]) for e in exc.errors()), 2) from None
    hub = _hub()
    try:
        hub.store.add_source(config.id, config.protocol, config.url, config.options)
    except KeyError as exc:
        raise _fail(str(exc.args[0]), 2) from None
    finally:
        hub.close()
    console.print(f"added source [bold]{config.id}[/bold] ({config.protocol}) {config.url}")


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List the registered sources with their record counts and last run."""
    hub = _hub()
    try:
        rows = []
        for source in hub.store.list_sources():
            runs = hub.store.list_runs(source.id, limit=1)
            last = runs[0] if runs else None
            rows.append(
                {
                    "id": source.id,
                    "protocol": source.protocol,
                    "url": source.url,
                    "options": source.options,
                    "records": hub.store.count_records(source.id),
                    "tombstones": hub.store.count_records(source.id, deleted=True),
                    "last_run": None
                    if last is None
                    else {"id": last.id, "status": last.status, "started": last.started_at.isoformat()},
                }
            )
    finally:
        hub.close()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("id", "protocol", "url", "records", "last run")
    for row in rows:
        last_run: Any = row["last_run"]
        table.add_row(
            str(row["id"]),
            str(row["protocol"]),
            str(row["url"]),
            str(row["records"]),
            "-" if last_run is None else f"#{last_run['id']} {last_run['status']}",
        )
    Console().print(table)


@sources_app.command("update")
def sources_update(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    url: Annotated[str | None, typer.Option(help="New URL (resets the incremental state)")] = None,
    metadata_prefix: Annotated[str | None, typer.Option(help="OAI-PMH metadataPrefix")] = None,
    set_spec: Annotated[str | None, typer.Option("--set", help="OAI-PMH setSpec")] = None,
    title: Annotated[str | None, typer.Option(help="A display name")] = None,
) -> None:
    """Change a source's URL or options."""
    hub = _hub()
    try:
        current = hub.store.get_source(source_id)
        if current is None:
            raise _fail(f"no source {source_id!r}", 2)
        options = {**current.options, **_options(metadata_prefix, set_spec, title)}
        try:
            config = SourceConfig(
                id=source_id, protocol=current.protocol, url=url or current.url, options=options
            )
        except ValidationError as exc:
            raise _fail("; ".join(str(e["msg"]) for e in exc.errors()), 2) from None
        hub.store.update_source(source_id, url=config.url, options=config.options)
    finally:
        hub.close()
    console.print(f"updated source [bold]{source_id}[/bold]")


@sources_app.command("remove")
def sources_remove(source_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Remove a source, its runs and its records (from the store and the index)."""
    hub = _hub()
    try:
        try:
            ids = hub.store.remove_source(source_id)
        except KeyError as exc:
            raise _fail(str(exc.args[0]), 2) from None
        hub.index.delete(ids)
        hub.index.refresh()
    finally:
        hub.close()
    console.print(f"removed source [bold]{source_id}[/bold] and {len(ids)} records")


def _progress_bar() -> Progress:
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


def _print_summary(summary: RunSummary) -> None:
    colour = "green" if summary.status == "succeeded" else "red"
    line = (
        f"[{colour}]{summary.source_id}: run #{summary.run_id} {summary.status}[/{colour}] "
        f"added={summary.added} updated={summary.updated} unchanged={summary.unchanged} "
        f"deleted={summary.deleted} failed={summary.failed} ({summary.seconds:.1f} s)"
    )
    if summary.not_modified:
        line += " not modified"
    console.print(line)
    if summary.error:
        console.print(f"  [red]error:[/red] {summary.error}")
    for note in summary.notes:
        console.print(f"  note: {note}")


@app.command()
def harvest(
    source_id: Annotated[str | None, typer.Argument(metavar="[ID]", help="The source to harvest")] = None,
    all_sources: Annotated[bool, typer.Option("--all", help="Harvest every source")] = False,
    full: Annotated[bool, typer.Option("--full", help="Ignore the incremental state")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summaries as JSON")] = False,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="With GKSS_BROKER_URL: enqueue, print the task ids, return")
    ] = False,
) -> None:
    """Harvest one source (or --all): incremental by default; exit 1 when a run failed.

    With GKSS_BROKER_URL set the runs are enqueued for `gkss worker`s, and waited for.
    """
    if bool(source_id) == all_sources:
        raise _fail("give one source ID or --all", 2)
    settings = Settings()
    if settings.broker_url:
        _harvest_via_broker(settings, source_id, all_sources, full=full, as_json=as_json, no_wait=no_wait)
        return
    hub = _hub()
    summaries: list[RunSummary] = []
    try:
        ids = [s.id for s in hub.store.list_sources()] if all_sources else [str(source_id)]
        for sid in ids:
            if hub.store.get_source(sid) is None:
                raise _fail(f"no source {sid!r}", 2)
            with _progress_bar() as bar:
                task = bar.add_task(f"harvesting {sid}", total=None)

                def progress(seen: int, bar: Progress = bar, task: TaskID = task) -> None:
                    bar.update(task, completed=seen)

                summary = harvest_source(hub, sid, full=full, progress=progress)
            summaries.append(summary)
            _print_summary(summary)
    finally:
        hub.close()
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in summaries], indent=2))
    if any(s.status != "succeeded" for s in summaries):
        raise typer.Exit(1)


def _harvest_via_broker(
    settings: Settings, source_id: str | None, all_sources: bool, *, full: bool, as_json: bool, no_wait: bool
) -> None:
    """Enqueue one request per source, then (unless no_wait) follow each to its summary."""
    from hub.jobs.celery_app import make_celery
    from hub.jobs.client import JobFailed, new_request, send_request, wait_for

    hub = open_hub(settings)
    try:
        ids = [s.id for s in hub.store.list_sources()] if all_sources else [str(source_id)]
        missing = [sid for sid in ids if hub.store.get_source(sid) is None]
    finally:
        hub.close()
    if missing:
        raise _fail(f"no source {missing[0]!r}", 2)
    jobs = make_celery(settings)
    requests = [new_request(sid, full) for sid in ids]
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
        with _progress_bar() as bar:
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
                console.print(f"[red]{request.source_id}: {exc}[/red]")
                lost = True
                continue
        summaries.append(summary)
        _print_summary(summary)
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in summaries], indent=2))
    if lost or any(s.status != "succeeded" for s in summaries):
        raise typer.Exit(1)


_JOB_STATES = {
    "PENDING": "queued, waiting for a worker",
    "STARTED": "started",
    "RETRY": "waiting: another run of this source is in progress",
}


@app.command()
def worker(
    concurrency: Annotated[int | None, typer.Option(help="Runs at once (default: CPU count)")] = None,
    loglevel: Annotated[str, typer.Option(help="Celery log level")] = "INFO",
) -> None:
    """Run a Celery worker for the gkss queue (needs GKSS_BROKER_URL)."""
    if not Settings().broker_url:
        raise _fail("GKSS_BROKER_URL is not set; without a broker `gkss harvest` runs in-process", 2)
    from hub.jobs.celery_app import QUEUE, default_app

    argv = ["worker", "-Q", QUEUE, "--pool", "prefork", "--loglevel", loglevel, "--hostname", "gkss@%h"]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    default_app().worker_main(argv)


@app.command()
def scheduler(
    loglevel: Annotated[str, typer.Option(help="Celery beat log level")] = "INFO",
) -> None:
    """Run the schedules: Celery beat with GKSS_BROKER_URL, else harvest due sources in-process."""
    settings = Settings()
    if settings.broker_url:
        from hub.jobs.celery_app import default_app

        default_app().start(["beat", "--loglevel", loglevel])
        return
    from hub.jobs.schedule import run_in_process

    console.print(
        f"in-process scheduler: due sources every {settings.scheduler_tick_seconds:g} s (Ctrl-C stops)"
    )
    run_in_process(settings, report=lambda outcome: _print_summary(outcome.summary))


@sources_app.command("schedule")
def sources_schedule(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    every: Annotated[int | None, typer.Option(help="Harvest every N seconds", min=1)] = None,
    off: Annotated[bool, typer.Option("--off", help="Stop harvesting on a schedule")] = False,
) -> None:
    """Harvest a source on a schedule kept in the database (run by `gkss scheduler`)."""
    if (every is None) != off:
        raise _fail("give --every N or --off", 2)
    hub = _hub()
    try:
        try:
            row = hub.store.set_schedule(source_id, None if off else every)
        except KeyError as exc:
            raise _fail(str(exc.args[0]), 2) from None
    finally:
        hub.close()
    if row is None or not row.enabled:
        console.print(f"source [bold]{source_id}[/bold]: no schedule")
    else:
        console.print(
            f"source [bold]{source_id}[/bold]: every {row.every_seconds} s, next due "
            f"{row.next_run_at.isoformat(timespec='seconds')}"
        )


@app.command()
def runs(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    limit: Annotated[int, typer.Option(help="How many runs")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show a source's recent runs with their counts, errors and per-record failures."""
    hub = _hub()
    try:
        rows: list[dict[str, Any]] = []
        for run in hub.store.list_runs(source_id, limit=limit):
            errors = hub.store.run_errors(run.id)
            rows.append(
                {
                    "id": run.id,
                    "status": run.status,
                    "full": run.full,
                    "started": run.started_at.isoformat(),
                    "finished": run.finished_at.isoformat() if run.finished_at else None,
                    "added": run.added,
                    "updated": run.updated,
                    "unchanged": run.unchanged,
                    "deleted": run.deleted,
                    "failed": run.failed,
                    "requests": run.requests,
                    "bytes": run.bytes,
                    "statuses": run.statuses,
                    "error": run.error,
                    "notes": run.notes,
                    "record_errors": [
                        {"native_id": e.native_id, "severity": e.severity, "message": e.message}
                        for e in errors
                    ],
                }
            )
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


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(metavar="[QUERY]", help="Free text")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Source id (repeatable)")] = None,
    type: Annotated[list[str] | None, typer.Option(help="Resource type (repeatable)")] = None,
    country: Annotated[list[str] | None, typer.Option(help="ISO 3166-1 alpha-2 (repeatable)")] = None,
    target: Annotated[list[str] | None, typer.Option(help="GBF target: 3 or GBF-TARGET-03")] = None,
    language: Annotated[list[str] | None, typer.Option(help="Language (repeatable)")] = None,
    sort: Annotated[str, typer.Option(help="relevance or date")] = "relevance",
    page: Annotated[int, typer.Option(help="Page number")] = 1,
    size: Annotated[int, typer.Option(help="Results per page")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Search the hub's index."""
    try:
        search_query = build_query(
            query,
            source=source or (),
            type=type or (),
            country=country or (),
            target=target or (),
            language=language or (),
            sort=sort,
            page=page,
            size=size,
        )
    except BadSearchParameter as exc:
        raise _fail(str(exc), 2) from None
    hub = _hub()
    try:
        result = hub.index.search(search_query)
    finally:
        hub.close()
    data = page_json(result, search_query)
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{data['total']} results")
    for item in data["results"]:
        typer.echo(f"- {item['title']}  [{item['source']} · {item['type']} · {item['date'] or 'undated'}]")
        if item["url"]:
            typer.echo(f"  {item['url']}")


@index_app.command("rebuild")
def index_rebuild() -> None:
    """Empty the index and rebuild it from the store."""
    hub = _hub()
    total = 0
    try:
        hub.index.reset()
        for batch in hub.store.iter_resources():
            total += hub.index.add(batch)
        hub.index.refresh()
    finally:
        hub.close()
    console.print(f"indexed {total} records from the store")


@app.command()
def reindex() -> None:
    """Rebuild the index from the store; on a cluster a new index is loaded and swapped in (no downtime)."""
    from hub.search.maintenance import reindex as rebuild_index

    hub = _hub()
    try:
        total = rebuild_index(hub.store, hub.index)
    finally:
        hub.close()
    console.print(f"reindexed {total} records from the store")


@index_app.command("check")
def index_check(
    fix: Annotated[
        bool, typer.Option("--repair", help="Re-index missing/stale records, drop extra ones")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Compare the index with the store: missing, extra and stale records; exit 1 if drift remains."""
    from hub.search.maintenance import check, repair

    hub = _hub()
    try:
        drift = check(hub.store, hub.index)
        fixed = 0
        if fix and not drift.clean:
            fixed = repair(hub.store, hub.index, drift)
            after = check(hub.store, hub.index)
        else:
            after = drift
    finally:
        hub.close()
    if as_json:
        data = {**drift.as_dict(), "repaired": fixed if fix else None, "remaining": after.counts()}
        typer.echo(json.dumps(data, indent=2))
    else:
        counts = drift.counts()
        typer.echo(f"missing={counts['missing']} extra={counts['extra']} stale={counts['stale']}")
        if fix:
            left = after.counts()
            typer.echo(
                f"repaired {fixed}; now missing={left['missing']} extra={left['extra']} stale={left['stale']}"
            )
    if not after.clean:
        raise typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (GKSS_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (GKSS_PORT)")] = None,
) -> None:
    """Serve the HTTP API and OpenAPI docs (embedded default: SQLite under GKSS_HOME)."""
    import uvicorn

    from hub.api import create_app

    settings = Settings()
    bind_host = host or settings.host
    bind_port = port or settings.port
    console.print(
        f"gkss-hub serving on http://{bind_host}:{bind_port}/ (docs at /docs, data in {settings.home})"
    )
    uvicorn.run(create_app(settings), host=bind_host, port=bind_port, log_level="info")
