"""The `gkss` command line: sources, harvests, search, serve."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from federation.cli import federated_cli_search, peers_app
from hub.cli_common import console, fail, open_cli_hub, print_summary, progress_bar, source_options
from hub.cli_jobs import harvest_via_broker, scheduler, sources_schedule, worker
from hub.cli_network import dedup, parse_options, sources_enable, sources_seed
from hub.cli_registry import (
    audit_log,
    check_node,
    cli_operator,
    keys_app,
    nodes_app,
    sources_dry_run,
    sources_probe,
    sources_quality,
)
from hub.pipeline import RunSummary, harvest_source
from hub.results import BadSearchParameter, page_json
from hub.run_history import run_json
from hub.settings import Settings
from hub.websub.cli import websub_app
from registry import audit
from registry.network_options import source_enabled
from registry.sources import SourceConfig

app = typer.Typer(
    help="gkss-hub: harvest, normalise, index and re-publish biodiversity knowledge.", no_args_is_help=True
)
sources_app = typer.Typer(help="Register and manage sources.", no_args_is_help=True)
index_app = typer.Typer(help="Look after the search index.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
app.add_typer(index_app, name="index")
app.add_typer(peers_app, name="peers")
app.add_typer(websub_app, name="websub")
app.add_typer(nodes_app, name="nodes")
app.add_typer(keys_app, name="keys")
app.command("audit")(audit_log)
sources_app.command("probe")(sources_probe)
sources_app.command("dry-run")(sources_dry_run)
sources_app.command("quality")(sources_quality)
app.command()(worker)
app.command()(scheduler)
sources_app.command("schedule")(sources_schedule)
sources_app.command("seed")(sources_seed)
app.command()(dedup)
sources_app.command("enable")(sources_enable)


@sources_app.command("add")
def sources_add(
    source_id: Annotated[
        str, typer.Argument(metavar="ID", help="Short id: lower-case letters, digits, . _ -")
    ],
    protocol: Annotated[
        str, typer.Option(help="feed, oai-pmh, cbd-index, drupal-jsonapi, odata, sitemap, scrape or hub")
    ],
    url: Annotated[str, typer.Option(help="Feed URL or OAI-PMH base URL")],
    metadata_prefix: Annotated[str | None, typer.Option(help="OAI-PMH metadataPrefix (oai_dc)")] = None,
    set_spec: Annotated[str | None, typer.Option("--set", help="OAI-PMH setSpec")] = None,
    title: Annotated[str | None, typer.Option(help="A display name")] = None,
    preset: Annotated[
        str | None, typer.Option(help="cbd-index preset: notifications, meetings, decisions, ...")
    ] = None,
    option: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE protocol option, repeatable (e.g. country=KE)")
    ] = None,
    node: Annotated[
        str | None, typer.Option(help="The node the source belongs to (see `gkss nodes`)")
    ] = None,
) -> None:
    """Register a source."""
    options = source_options(metadata_prefix, set_spec, title)
    if preset:
        options["preset"] = preset
    try:
        options.update(parse_options(option))
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    try:
        config = SourceConfig(id=source_id, protocol=protocol, url=url, options=options)
    except ValidationError as exc:
        raise fail("; ".join(str(e["msg"]) for e in exc.errors()), 2) from None
    check_node(node)
    hub = open_cli_hub()
    try:
        hub.store.add_source(config.id, config.protocol, config.url, config.options, node_id=node)
        audit.record(hub.store, cli_operator(), "source.add", f"source {config.id}", node_id=node)
    except KeyError as exc:
        raise fail(str(exc.args[0]), 2) from None
    finally:
        hub.close()
    console.print(f"added source [bold]{config.id}[/bold] ({config.protocol}) {config.url}")


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List the registered sources with their record counts and last run."""
    hub = open_cli_hub()
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
    option: Annotated[
        list[str] | None,
        typer.Option(help="KEY=VALUE option to set, repeatable (notify_url=https://...); KEY= removes it"),
    ] = None,
) -> None:
    """Change a source's URL or options."""
    hub = open_cli_hub()
    try:
        current = hub.store.get_source(source_id)
        if current is None:
            raise fail(f"no source {source_id!r}", 2)
        options = {**current.options, **source_options(metadata_prefix, set_spec, title)}
        try:
            changes = parse_options(option)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        removed = {key: None for key, value in changes.items() if value == ""}
        options = {key: value for key, value in {**options, **changes}.items() if key not in removed}
        try:
            config = SourceConfig(
                id=source_id, protocol=current.protocol, url=url or current.url, options=options
            )
        except ValidationError as exc:
            raise fail("; ".join(str(e["msg"]) for e in exc.errors()), 2) from None
        hub.store.update_source(source_id, url=config.url, options={**config.options, **removed})
        audit.record(
            hub.store, cli_operator(), "source.update", f"source {source_id}", node_id=current.node_id
        )
    finally:
        hub.close()
    console.print(f"updated source [bold]{source_id}[/bold]")


@sources_app.command("remove")
def sources_remove(source_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Remove a source, its runs and its records (from the store and the index)."""
    hub = open_cli_hub()
    try:
        source = hub.store.get_source(source_id)
        try:
            ids = hub.store.remove_source(source_id)
        except KeyError as exc:
            raise fail(str(exc.args[0]), 2) from None
        node = source.node_id if source is not None else None
        audit.record(hub.store, cli_operator(), "source.remove", f"source {source_id}", node_id=node)
        hub.index.delete(ids)
        hub.index.refresh()
    finally:
        hub.close()
    console.print(f"removed source [bold]{source_id}[/bold] and {len(ids)} records")


@app.command()
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
    settings = Settings()
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
    hub = open_cli_hub()
    summaries: list[RunSummary] = []
    try:
        ids = (
            [s.id for s in hub.store.list_sources() if source_enabled(s.options)]
            if all_sources
            else [str(source_id)]
        )
        for sid in ids:
            if hub.store.get_source(sid) is None:
                raise fail(f"no source {sid!r}", 2)
            with progress_bar() as bar:
                task = bar.add_task(f"harvesting {sid}", total=None)

                def progress(seen: int, bar: Progress = bar, task: TaskID = task) -> None:
                    bar.update(task, completed=seen)

                summary = harvest_source(
                    hub, sid, full=full, progress=progress, accept_deletions=accept_deletions
                )
            summaries.append(summary)
            print_summary(summary)
    finally:
        hub.close()
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in summaries], indent=2))
    if any(s.status != "succeeded" for s in summaries):
        raise typer.Exit(1)


@app.command()
def runs(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    limit: Annotated[int, typer.Option(help="How many runs")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show a source's recent runs with their counts, errors and per-record failures."""
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


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(metavar="[QUERY]", help="Free text")] = None,
    source: Annotated[list[str] | None, typer.Option(help="Source id (repeatable)")] = None,
    type: Annotated[list[str] | None, typer.Option(help="Resource type (repeatable)")] = None,
    country: Annotated[list[str] | None, typer.Option(help="ISO 3166-1 alpha-2 (repeatable)")] = None,
    target: Annotated[list[str] | None, typer.Option(help="GBF target: 3 or GBF-TARGET-03")] = None,
    language: Annotated[list[str] | None, typer.Option(help="Language (repeatable)")] = None,
    node: Annotated[list[str] | None, typer.Option(help="Node id: its sources and those below it")] = None,
    region: Annotated[list[str] | None, typer.Option(help="Region: M49 code, CBD group or slug")] = None,
    goal: Annotated[list[str] | None, typer.Option(help="GBF goal: A-D")] = None,
    indicator: Annotated[list[str] | None, typer.Option(help="GBF indicator code, e.g. A.1")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Dated on or after YYYY-MM-DD")] = None,
    date_until: Annotated[str | None, typer.Option("--until", help="Dated on or before YYYY-MM-DD")] = None,
    sort: Annotated[str, typer.Option(help="relevance or date")] = "relevance",
    page: Annotated[int, typer.Option(help="Page number")] = 1,
    size: Annotated[int, typer.Option(help="Results per page")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    federated: Annotated[bool, typer.Option("--federated", help="Also search every peer hub")] = False,
) -> None:
    """Search the hub's index."""
    from hub.search_params import filters_from, filters_query  # shared with the API (FastAPI): lazily

    filters = filters_from(
        query,
        date_from,
        date_until,
        source=source,
        type=type,
        country=country,
        target=target,
        language=language,
        node=node,
        region=region,
        goal=goal,
        indicator=indicator,
    )
    hub = open_cli_hub()
    try:
        search_query = filters_query(filters, sort=sort, page=page, size=size, store=hub.store)
    except BadSearchParameter as exc:
        hub.close()
        raise fail(str(exc), 2) from None
    hub = open_cli_hub()
    try:
        if federated:
            data = federated_cli_search(hub, search_query)
        else:
            data = page_json(hub.index.search(search_query), search_query)
    finally:
        hub.close()
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
    hub = open_cli_hub()
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

    hub = open_cli_hub()
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

    hub = open_cli_hub()
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
    uvicorn.run(create_app(settings, serving=True), host=bind_host, port=bind_port, log_level="info")
