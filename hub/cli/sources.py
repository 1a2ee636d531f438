"""The `gkss sources` group: register, list, change and remove sources (and the checks beside them)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from hub.cli.common import console, fail, open_cli_hub, out, source_options
from hub.cli.jobs import sources_schedule
from hub.cli.network import parse_options, sources_enable, sources_seed
from hub.cli.registry import check_node, cli_operator, sources_dry_run, sources_probe, sources_quality

sources_app = typer.Typer(help="Register and manage sources.", no_args_is_help=True)
# Listed in `gkss sources --help` in this order, as before the split.
sources_app.command("probe")(sources_probe)
sources_app.command("dry-run")(sources_dry_run)
sources_app.command("quality")(sources_quality)
sources_app.command("schedule")(sources_schedule)
sources_app.command("seed")(sources_seed)
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
    from registry import audit
    from registry.sources import InvalidSource, registered_source, registration_refusal

    options = source_options(metadata_prefix, set_spec, title)
    if preset:
        options["preset"] = preset
    try:
        options.update(parse_options(option))
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    try:
        config = registered_source(source_id, protocol, url, options)
    except InvalidSource as exc:
        raise fail(str(exc), 2) from None
    check_node(node)
    hub = open_cli_hub()
    try:
        refused = registration_refusal(config, allow_private=hub.settings.allow_private_networks)
        if refused:
            raise fail(refused, 2)
        hub.store.add_source(config.id, config.protocol, config.url, config.options.stored(), node_id=node)
        audit.record(hub.store, cli_operator(), "source.add", f"source {config.id}", node_id=node)
    except KeyError as exc:
        raise fail(str(exc.args[0]), 2) from None
    finally:
        hub.close()
    console.print(f"added source {config.id} ({config.protocol}) {config.url}")


@sources_app.command("list")
def sources_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List the registered sources with their record counts and last run."""
    hub = open_cli_hub(lazy_index=True)  # the store alone: the index opens only if a run needs recovery
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
                    "options": source.stored_options,
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
    out.print(table)


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
    node: Annotated[str | None, typer.Option(help="Move the source to this node (`gkss nodes`)")] = None,
) -> None:
    """Change a source's URL, options or node (a source registered without a node is the service's)."""
    from registry import audit
    from registry.nodes import get_node
    from registry.sources import InvalidSource, registered_source, registration_refusal

    hub = open_cli_hub()
    try:
        current = hub.store.get_source(source_id)
        if current is None:
            raise fail(f"no source {source_id!r}", 2)
        if node is not None and get_node(hub.store, node) is None:
            raise fail(f"no node {node!r}", 2)
        options = {**current.stored_options, **source_options(metadata_prefix, set_spec, title)}
        try:
            changes = parse_options(option)
        except ValueError as exc:
            raise fail(str(exc), 2) from None
        removed = {key: None for key, value in changes.items() if value == ""}
        options = {key: value for key, value in {**options, **changes}.items() if key not in removed}
        try:
            config = registered_source(source_id, current.protocol, url or current.url, options)
        except InvalidSource as exc:
            raise fail(str(exc), 2) from None
        refused = registration_refusal(config, allow_private=hub.settings.allow_private_networks)
        if refused:
            raise fail(refused, 2)
        hub.store.update_source(
            source_id, url=config.url, options={**config.options.stored(), **removed}, node_id=node
        )
        audit.record(
            hub.store, cli_operator(), "source.update", f"source {source_id}", node_id=node or current.node_id
        )
    finally:
        hub.close()
    console.print(f"updated source {source_id}")


@sources_app.command("remove")
def sources_remove(source_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Remove a source, its runs and its records (from the store and the index)."""
    from registry import audit

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
    console.print(f"removed source {source_id} and {len(ids)} records")
