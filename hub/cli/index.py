"""The search index from the command line: `gkss index rebuild|check`, `gkss reindex`, `gkss renormalise`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from hub.cli.common import console, fail, open_cli_hub, print_summary

if TYPE_CHECKING:
    from hub.pipeline import RunSummary

index_app = typer.Typer(help="Look after the search index.", no_args_is_help=True)


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


def reindex() -> None:
    """Rebuild the index from the store; on a cluster a new index is loaded and swapped in (no downtime)."""
    from hub.search.maintenance import reindex as rebuild_index

    hub = open_cli_hub()
    try:
        total = rebuild_index(hub.store, hub.index)
    finally:
        hub.close()
    console.print(f"reindexed {total} records from the store")


def renormalise(
    source_ids: Annotated[
        list[str] | None, typer.Argument(metavar="[ID]...", help="Sources (all when none)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run summaries as JSON")] = False,
) -> None:
    """Crosswalk and enrich the stored raw payloads again (after a crosswalk change); nothing fetched."""
    from hub.renormalise import renormalise_source

    hub = open_cli_hub()
    summaries: list[RunSummary] = []
    try:
        for source_id in source_ids or [s.id for s in hub.store.list_sources()]:
            try:
                summaries.append(renormalise_source(hub, source_id))
            except KeyError as exc:
                raise fail(str(exc.args[0]), 2) from exc
    finally:
        hub.close()
    if as_json:
        print(json.dumps([s.as_dict() for s in summaries]))
    else:
        for summary in summaries:
            print_summary(summary)
    if any(s.status == "failed" for s in summaries):
        raise typer.Exit(1)
