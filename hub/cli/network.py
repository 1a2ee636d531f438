"""CLI pieces for the CBD knowledge network: ``--option KEY=VALUE``, ``sources seed``, ``sources enable``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from hub.cli.common import console, fail, open_cli_hub
from registry.seed import GROUPS


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``["country=KE", "page_size=20"]`` -> options; a value is read as JSON when it parses, else text."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option wants KEY=VALUE, got {pair!r}")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        options[key.strip()] = value
    return options


def sources_seed(
    only: Annotated[
        list[str] | None, typer.Option(help=f"Only these groups: {', '.join(GROUPS)} (repeatable)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Register the real CBD network (index presets, RSS feeds, Bioland sites, BIP, InforMEA), disabled.

    Each source gets its suggested schedule, switched off; `gkss sources enable ID` turns it on.
    Sources already registered are left as they are.
    """
    groups = tuple(only or GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise fail(f"unknown group(s) {', '.join(sorted(unknown))}; known: {', '.join(GROUPS)}", 2)
    from hub.store.schedules import set_schedule
    from registry.seed import network_sources

    added: list[str] = []
    kept: list[str] = []
    hub = open_cli_hub()
    try:
        for seeded in network_sources(groups):
            config = seeded.config
            if hub.store.get_source(config.id) is not None:
                kept.append(config.id)
                continue
            hub.store.add_source(config.id, config.protocol, config.url, config.options.stored())
            set_schedule(hub.store, config.id, seeded.every_seconds)
            set_schedule(hub.store, config.id, None)  # kept with its period, off until enabled
            added.append(config.id)
    finally:
        hub.close()
    if as_json:
        typer.echo(json.dumps({"added": added, "already_registered": kept}, indent=2))
        return
    console.print(f"seeded {len(added)} sources (disabled); {len(kept)} already registered")


def sources_enable(
    source_ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Sources to enable")],
    every: Annotated[
        int | None, typer.Option(help="Harvest every N seconds (default: the seeded period)", min=1)
    ] = None,
) -> None:
    """Enable sources: they join `gkss harvest --all` and their schedule runs."""
    from hub.store.schedules import get_schedule, set_schedule

    hub = open_cli_hub()
    try:
        for source_id in source_ids:
            source = hub.store.get_source(source_id)
            if source is None:
                raise fail(f"no source {source_id!r}", 2)
            hub.store.update_source(source_id, options={"enabled": True})
            schedule = get_schedule(hub.store, source_id)
            period = every or (schedule.every_seconds if schedule is not None else None)
            if period:
                set_schedule(hub.store, source_id, period)
            console.print(f"enabled {source_id}" + (f", every {period} s" if period else ""))
    finally:
        hub.close()


def dedup(
    threshold: Annotated[
        float, typer.Option(help="Title similarity (word Jaccard) from which records match")
    ] = 0.9,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Report documents stored by several sources: clusters, why they matched, and the merged record.

    Read-only: the store and the index are not changed (see README, cross-source deduplication).
    """
    from normalizers.dedup import find_duplicates, merge

    hub = open_cli_hub()
    try:
        records = [r for batch in hub.store.iter_resources() for r in batch]
    finally:
        hub.close()
    by_id = {r.id: r for r in records}
    report: list[dict[str, Any]] = []
    for cluster in find_duplicates(records, threshold=threshold):
        merged = merge([by_id[i] for i in cluster.ids])
        report.append(
            {
                "ids": cluster.ids,
                "matches": [
                    {"left": m.left, "right": m.right, "rule": m.rule, "score": m.score}
                    for m in cluster.matches
                ],
                "merged": merged.model_dump(mode="json"),
            }
        )
    if as_json:
        typer.echo(json.dumps({"records": len(records), "clusters": report}, indent=2, ensure_ascii=False))
        return
    console.print(f"{len(records)} records, {len(report)} documents held by several sources")
    for item in report:
        merged_record = item["merged"]
        sources = [
            merged_record["provenance"]["source"],
            *(p["source"] for p in merged_record["merged_provenance"]),
        ]
        console.print(f"- {merged_record['id']}: {', '.join(sources)} ({item['matches'][0]['rule']})")
