"""Registry commands: `gkss nodes`, `gkss keys`, `gkss audit`; source probe, dry run and quality."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from hub.cli.common import cli_settings, console, error, fail, open_cli_hub, out
from hub.cli.network import parse_options
from registry.node_kinds import KINDS
from registry.rights import ROLES

if TYPE_CHECKING:
    from hub.store.store import Store
    from registry.rights import Principal

nodes_app = typer.Typer(
    help="The node hierarchy: service, regional centres, national nodes.", no_args_is_help=True
)
keys_app = typer.Typer(help="API keys bound to a node and a role (hashed; shown once).", no_args_is_help=True)


def cli_operator() -> Principal:
    """The CLI acts as a hub admin (it holds the database); the audit log names the system user."""
    from registry.rights import operator

    return operator(f"cli:{getpass.getuser()}")


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _print_list(read: Callable[[Store], list[dict[str, Any]]], as_json: bool, columns: list[str]) -> None:
    """What ``read`` lists from the store, as JSON or as a table of ``columns`` (a column's key is its
    heading with ``_`` for spaces; an empty value shows as ``-``)."""
    hub = open_cli_hub(lazy_index=True)
    try:
        rows = read(hub.store)
    finally:
        hub.close()
    if as_json:
        _print_json(rows)
        return
    table = Table(*columns)
    for row in rows:
        table.add_row(*(str(row[column.replace(" ", "_")] or "-") for column in columns))
    out.print(table)


@nodes_app.command("add")
def nodes_add(
    node_id: Annotated[str, typer.Argument(metavar="ID", help="Short id: lower-case letters, digits, . _ -")],
    name: Annotated[str, typer.Option(help="Display name")],
    kind: Annotated[str, typer.Option(help=f"One of {', '.join(KINDS)}")],
    parent: Annotated[str | None, typer.Option(help="Parent node (none for the service)")] = None,
) -> None:
    """Add a node: a regional centre under the service, a national node under a regional centre."""
    from registry import audit
    from registry.nodes import NodeError, add_node

    hub = open_cli_hub()
    try:
        node = add_node(hub.store, node_id, name, kind, parent)
        audit.record(hub.store, cli_operator(), "node.add", f"node {node.id}", node_id=node.id)
    except NodeError as exc:
        raise fail(str(exc), 2) from None
    finally:
        hub.close()
    console.print(f"added {node.kind} node {node.id}" + (f" under {parent}" if parent else ""))


@nodes_app.command("list")
def nodes_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List the nodes."""
    from registry.nodes import list_nodes

    _print_list(
        lambda store: [n.as_json() for n in list_nodes(store)], as_json, ["id", "kind", "parent", "name"]
    )


@nodes_app.command("remove")
def nodes_remove(node_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Remove a node that holds no child nodes, sources or peers (its keys are removed with it)."""
    from hub.store.nodes import remove_node
    from registry import audit
    from registry.nodes import NodeError

    hub = open_cli_hub()
    try:
        remove_node(hub.store, node_id)
        audit.record(hub.store, cli_operator(), "node.remove", f"node {node_id}", node_id=node_id)
    except NodeError as exc:
        raise fail(str(exc), 2) from None
    finally:
        hub.close()
    console.print(f"removed node {node_id}")


@keys_app.command("create")
def keys_create(
    node: Annotated[str, typer.Option(help="The node the key acts for")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(ROLES)}")],
    label: Annotated[str | None, typer.Option(help="What the key is for")] = None,
    expires_days: Annotated[int | None, typer.Option(min=1, help="Expire after this many days")] = None,
) -> None:
    """Create a key; its token is printed once, on standard output, and never again."""
    from registry import audit
    from registry.keys import ApiKeyError, create_key

    expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    hub = open_cli_hub()
    try:
        key, token = create_key(
            hub.store, node, role, created_by=cli_operator().actor, label=label, expires_at=expires
        )
        detail = {"role": role, "label": label}
        audit.record(hub.store, cli_operator(), "key.create", f"key {key.id}", node_id=node, detail=detail)
    except ApiKeyError as exc:
        raise fail(str(exc), 2) from None
    finally:
        hub.close()
    console.print(f"created key {key.id} ({role} of {node}); keep this token, it is not shown again:")
    typer.echo(token)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False) -> None:
    """List keys (never their secrets) with their state: active, expired or revoked."""
    from registry.keys import list_keys

    columns = ["id", "node", "role", "state", "label", "expires", "last used"]
    _print_list(lambda store: [k.as_json() for k in list_keys(store)], as_json, columns)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(metavar="KEY_ID")]) -> None:
    """Revoke a key: it stops authenticating at once."""
    from registry import audit
    from registry.keys import ApiKeyError, revoke_key

    hub = open_cli_hub()
    try:
        key = revoke_key(hub.store, key_id)
        audit.record(hub.store, cli_operator(), "key.revoke", f"key {key.id}", node_id=key.node_id)
    except ApiKeyError as exc:
        raise fail(str(exc), 2) from None
    finally:
        hub.close()
    console.print(f"revoked key {key_id}")


def audit_log(
    node: Annotated[str | None, typer.Option(help="Only entries about this node")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many of the newest entries")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show the audit log: every administrative action and every refused attempt, newest first."""
    from registry import audit

    hub = open_cli_hub()
    try:
        rows = audit.entries(hub.store, cli_operator(), limit=limit, node_id=node)
    finally:
        hub.close()
    if as_json:
        _print_json(rows)
        return
    table = Table("at", "actor", "role", "node", "action", "target", "outcome")
    for row in rows:
        table.add_row(
            row["at"],
            row["actor"],
            row["role"],
            row["node"] or "-",
            row["action"],
            row["target"],
            row["outcome"],
        )
    out.print(table)


def sources_probe(
    url: Annotated[str, typer.Argument(help="A page, feed, OAI-PMH base URL, sitemap or JSON API")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Find which protocol a URL speaks and what it offers; exit status 1 when nothing fitted."""
    from registry.probe import probe  # the harvesters (feedparser, lxml, OAI-PMH) only when used

    report = probe(cli_settings().http_policy(), url)
    if as_json:
        _print_json(report.as_json())
    else:
        console.print(f"{url}: {report.protocol or 'nothing harvestable found'}")
        if report.source_url and report.source_url != url:
            console.print(f"  source URL: {report.source_url}")
        for key, value in report.details.items():
            console.print(f"  {key}: {value if not isinstance(value, list) else ', '.join(map(str, value))}")
        for note in report.notes:
            console.print(f"  note: {note}")
        if report.command():
            console.print(f"  register with: {report.command()}")
    if report.protocol is None:
        raise typer.Exit(1)


def sources_dry_run(
    protocol: Annotated[str, typer.Option(help="Protocol, as for `gkss sources add`")],
    url: Annotated[str, typer.Option(help="Source URL")],
    limit: Annotated[int, typer.Option(min=1, max=200, help="Records to harvest")] = 20,
    option: Annotated[list[str] | None, typer.Option(help="KEY=VALUE protocol option, repeatable")] = None,
    check_links: Annotated[bool, typer.Option(help="Check each record's link")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Harvest the first records of a source, normalise and score them; nothing is saved."""
    from registry.sources import registered_source

    try:
        config = registered_source("dry-run", protocol, url, parse_options(option))
    except ValueError as exc:
        raise fail(str(exc), 2) from None
    from hub.pipeline.dry_run import dry_run  # the pipeline only when used

    report = dry_run(cli_settings(), config, limit=limit, check_links=check_links)
    if as_json:
        _print_json(report)
    else:
        quality = report["quality"]
        console.print(
            f"{report['status']}: {report['records']} records, {report['failed']} failed, "
            f"quality {quality.get('mean_score', '-')} / 100 (nothing saved)"
        )
        if report["error"]:
            error(str(report["error"]), indent="  ")
        for item in report["resources"]:
            resource = item["resource"]
            title = next(
                iter((resource.get("title") or {}).values()), resource.get("url") or resource["native_id"]
            )
            console.print(f"  {item['quality']['score']:>3}  {title}")
    if report["status"] != "succeeded":
        raise typer.Exit(1)


def sources_quality(
    source_id: Annotated[str, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """The quality report of a source's stored records: scores, missing fields, unknown vocabulary."""
    from hub.pipeline.history import quality_report

    hub = open_cli_hub()
    try:
        if hub.store.get_source(source_id) is None:
            raise fail(f"no source {source_id!r}", 2)
        report = {"source": source_id, **quality_report(hub.store, source_id)}
    finally:
        hub.close()
    if as_json:
        _print_json(report)
        return
    for key, value in report.items():
        console.print(f"{key}: {value}")


def check_node(node: str | None) -> None:
    """Fail when a source is bound to an unknown node."""
    if node is None:
        return
    from registry.nodes import get_node

    hub = open_cli_hub()
    try:
        if get_node(hub.store, node) is None:
            raise fail(f"no node {node!r}; add it with `gkss nodes add`", 2)
    finally:
        hub.close()
