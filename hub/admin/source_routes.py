"""Admin routes for a node's sources: register, change, remove, run history, quality, probe, dry run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field

from hub.admin.auth import check, done, owner, principal_dependency
from hub.context import Hub
from hub.pipeline.dry_run import dry_run
from hub.pipeline.history import quality_report, run_json
from registry.nodes import get_node
from registry.probe import probe
from registry.rights import Principal
from registry.sources import InvalidSource, Source, StoredSource, registered_source, registration_refusal


class SourceIn(BaseModel):
    """A source to register; ``node`` defaults to the caller's node."""

    id: str
    protocol: str
    url: str
    options: dict[str, Any] = {}
    node: str | None = None


class SourceChange(BaseModel):
    """What to change in a source (a new URL resets its state); an option given as null is removed."""

    url: str | None = None
    options: dict[str, Any] | None = None


class ProbeIn(BaseModel):
    url: str


class DryRunIn(BaseModel):
    """A source to try without registering it."""

    protocol: str
    url: str
    options: dict[str, Any] = {}
    limit: int = Field(default=20, ge=1, le=200)
    check_links: bool = True


def _config(
    source_id: str, protocol: str, url: str, options: dict[str, Any], guarded: Hub | None = None
) -> Source:
    """The validated source; with ``guarded``, also refused (400) when that hub's outbound guard would
    refuse its URL or ``notify_url``."""
    try:
        config = registered_source(source_id, protocol, url, options)
    except InvalidSource as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    if guarded is not None:
        reason = registration_refusal(config, allow_private=guarded.settings.allow_private_networks)
        if reason:
            raise HTTPException(status_code=400, detail=reason)
    return config


def source_json(hub: Hub, source: StoredSource) -> dict[str, Any]:
    runs = hub.store.list_runs(source.id, limit=1)
    return {
        "id": source.id,
        "protocol": source.protocol,
        "url": source.url,
        "options": source.stored_options,
        "node": source.node_id,
        "records": hub.store.count_records(source.id),
        "tombstones": hub.store.count_records(source.id, deleted=True),
        "last_run": run_json(hub.store, runs[0], errors=False) if runs else None,
    }


def source_router(current: Callable[[], Hub]) -> APIRouter:
    """Routes under ``/api/admin/sources`` and ``/api/admin/runs``."""
    authed = principal_dependency(current)
    router = APIRouter(prefix="/api/admin", tags=["admin"])

    def readable(hub: Hub, caller: Principal, source_id: str, change: str | None = None) -> StoredSource:
        """The source, when the caller may read it, or make the ``change`` (an audited action) to it."""
        source = hub.store.get_source(source_id)
        if source is None:
            raise HTTPException(status_code=404, detail=f"no source {source_id!r}")
        target = f"source {source_id}"
        check(hub, caller, change or "source.get", target, source.node_id, manage=change is not None)
        return source

    @router.get("/sources")
    def sources_list(caller: Principal = Depends(authed)) -> list[dict[str, Any]]:
        """The sources of the caller's nodes, with counts and their last run."""
        hub = current()
        rows = hub.store.list_sources()
        return [source_json(hub, s) for s in rows if caller.can_read(owner(hub, s.node_id))]

    @router.post("/sources", status_code=201)
    def sources_add(source: SourceIn, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Register a source for a node the caller manages."""
        hub = current()
        node = source.node if source.node is not None else caller.node_id
        check(hub, caller, "source.add", f"source {source.id}", node, detail={"url": source.url})
        config = _config(source.id, source.protocol, source.url, source.options, hub)
        if node is not None and get_node(hub.store, node) is None:
            raise HTTPException(status_code=422, detail=f"no node {node!r}")
        try:
            row = hub.store.add_source(
                config.id, config.protocol, config.url, config.options.stored(), node_id=node
            )
        except KeyError as exc:
            raise HTTPException(status_code=409, detail=str(exc.args[0])) from None
        done(
            hub,
            caller,
            "source.add",
            f"source {config.id}",
            node,
            {"protocol": config.protocol, "url": config.url},
        )
        return source_json(hub, row)

    @router.get("/sources/{source_id}")
    def sources_get(source_id: str, caller: Principal = Depends(authed)) -> dict[str, Any]:
        hub = current()
        return source_json(hub, readable(hub, caller, source_id))

    @router.patch("/sources/{source_id}")
    def sources_change(
        source_id: str, change: SourceChange, caller: Principal = Depends(authed)
    ) -> dict[str, Any]:
        """Change a source's URL or options."""
        hub = current()
        source = readable(hub, caller, source_id, "source.update")
        removed = {key: None for key, value in (change.options or {}).items() if value is None}
        merged = {**source.stored_options, **(change.options or {})}
        options = {key: value for key, value in merged.items() if key not in removed}
        config = _config(source_id, source.protocol, change.url or source.url, options, hub)
        row = hub.store.update_source(
            source_id, url=config.url, options={**config.options.stored(), **removed}
        )
        done(
            hub,
            caller,
            "source.update",
            f"source {source_id}",
            source.node_id,
            change.model_dump(exclude_none=True),
        )
        return source_json(hub, row)

    @router.delete("/sources/{source_id}", status_code=204)
    def sources_remove(source_id: str, caller: Principal = Depends(authed)) -> Response:
        """Remove a source with its runs and records (from the store and the index)."""
        hub = current()
        source = readable(hub, caller, source_id, "source.remove")
        ids = hub.store.remove_source(source_id)
        hub.index.delete(ids)
        hub.index.refresh()
        done(hub, caller, "source.remove", f"source {source_id}", source.node_id, {"records": len(ids)})
        return Response(status_code=204)

    @router.get("/sources/{source_id}/runs")
    def source_runs(
        source_id: str, caller: Principal = Depends(authed), limit: Annotated[int, Query(ge=1, le=500)] = 20
    ) -> list[dict[str, Any]]:
        """The source's newest runs: counts, duration, bytes, HTTP statuses, record errors."""
        hub = current()
        readable(hub, caller, source_id)
        return [run_json(hub.store, run) for run in hub.store.list_runs(source_id, limit=limit)]

    @router.get("/runs/{run_id}")
    def run_get(
        run_id: Annotated[int, Path(ge=1, le=2**63 - 1)], caller: Principal = Depends(authed)
    ) -> dict[str, Any]:
        hub = current()
        run = hub.store.get_run(run_id)
        if run is None:
            raise HTTPException(status_code=404, detail=f"no run {run_id}")
        readable(hub, caller, run.source_id)
        return run_json(hub.store, run)

    @router.get("/sources/{source_id}/quality")
    def source_quality(source_id: str, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """The quality report of the source's stored records (missing fields, unknown vocabulary, scores)."""
        hub = current()
        readable(hub, caller, source_id)
        return {"source": source_id, **quality_report(hub.store, source_id)}

    @router.post("/sources/probe")
    def sources_probe(body: ProbeIn, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Which protocol a URL speaks and what it offers (formats, sets, granularity, feed type)."""
        check(current(), caller, "source.probe", body.url, caller.node_id)
        return probe(current().settings.http_policy(), body.url).as_json()

    @router.post("/sources/dry-run")
    def sources_dry_run(body: DryRunIn, caller: Principal = Depends(authed)) -> dict[str, Any]:
        """Harvest the first records of a source, normalise and score them; nothing is saved."""
        check(current(), caller, "source.dry-run", body.url, caller.node_id)
        config = _config("dry-run", body.protocol, body.url, body.options)
        return dry_run(current().settings, config, limit=body.limit, check_links=body.check_links)

    return router
