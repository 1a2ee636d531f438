"""The pipeline of one run: harvest -> normalise -> store -> index, with counts and errors on the run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from harvesters.base import HarvestState, SourceSpec
from harvesters.errors import HarvestError
from harvesters.records import RawRecord, RecordFailure
from harvesters.registry import build_harvester
from hub.context import Hub
from hub.store.store import BatchResult, NormalisedItem
from normalizers.dispatch import normalize
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.resource import Resource

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass(slots=True)
class RunSummary:
    """The outcome of one run, as the CLI and API report it."""

    run_id: int
    source_id: str
    status: str = "running"
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0
    skipped: int = 0
    not_modified: bool = False
    error: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, batch: BatchResult) -> None:
        self.added += batch.added
        self.updated += batch.updated
        self.unchanged += batch.unchanged
        self.deleted += batch.deleted

    def as_dict(self) -> dict[str, object]:
        return {
            "run_id": self.run_id,
            "source": self.source_id,
            "status": self.status,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "skipped": self.skipped,
            "not_modified": self.not_modified,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


class _RunWriter:
    """Buffers normalised records and writes them to the store and the index batch by batch."""

    def __init__(self, hub: Hub, source_id: str, run_id: int, summary: RunSummary) -> None:
        self.hub = hub
        self.source_id = source_id
        self.run_id = run_id
        self.summary = summary
        self.items: list[NormalisedItem] = []
        self.failures: list[RecordFailure] = []
        self.index_failed = False

    def add(self, raw: RawRecord, resource: Resource | None) -> None:
        self.items.append(NormalisedItem(raw, resource))
        if len(self.items) >= self.hub.settings.batch_size:
            self.flush()

    def fail(self, failure: RecordFailure) -> None:
        self.summary.failed += 1
        self.failures.append(failure)
        if len(self.failures) >= self.hub.settings.batch_size:
            self.flush()

    def flush(self) -> None:
        if self.items:
            result = self.hub.store.apply_batch(self.source_id, self.run_id, self.items)
            self.summary.add(result)
            self.items = []
            self._index(result)
        if self.failures:
            self.hub.store.record_failures(self.run_id, self.failures)
            self.failures = []

    def _index(self, result: BatchResult) -> None:
        """The store is the truth: an index failure is noted, never loses the run."""
        if self.index_failed:
            return
        try:
            if result.to_index:
                self.hub.index.add(result.to_index)
            if result.to_unindex:
                self.hub.index.delete(result.to_unindex)
        except Exception as exc:  # any backend error; the index is rebuilt from the store
            self.index_failed = True
            logger.exception("source %s run %s: index update failed", self.source_id, self.run_id)
            self.summary.notes.append(
                f"index update failed ({type(exc).__name__}: {exc}); the store is complete, "
                "run `gkss index check --repair` to bring the index level"
            )


def harvest_source(
    hub: Hub,
    source_id: str,
    *,
    full: bool = False,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
) -> RunSummary:
    """Run one harvest of a source; incremental from the last successful run unless ``full``."""
    source = hub.store.get_source(source_id)
    if source is None:
        raise KeyError(f"no source {source_id!r}")
    last = None if full else hub.store.last_successful_run(source_id)
    since = last.started_at.replace(tzinfo=last.started_at.tzinfo or UTC) if last else None
    options = dict(source.options)
    if source.protocol in ("oai-pmh", "hub"):
        options.setdefault("overlap_seconds", hub.settings.oai_overlap_seconds)
    if source.protocol == "hub":
        from federation.api import identity_of

        options["identity"] = identity_of(hub.settings)
    spec = SourceSpec(id=source.id, protocol=source.protocol, url=source.url, options=options)
    state = HarvestState(
        since=since,
        etag=None if full else source.state.get("etag"),
        last_modified=None if full else source.state.get("last_modified"),
    )
    run = hub.store.start_run(source_id, full, since)
    summary = RunSummary(run_id=run.id, source_id=source_id)
    writer = _RunWriter(hub, source_id, run.id, summary)
    started = time.monotonic()
    seen = 0
    log = logging.LoggerAdapter(logger, {"source": source_id, "run": run.id})
    try:
        harvester = build_harvester(spec, hub.settings.http_policy(), client)
        for item in harvester.harvest(state):
            seen += 1
            if isinstance(item, RecordFailure):
                writer.fail(item)
            elif item.deleted:
                writer.add(item, None)
            else:
                _normalise_into(writer, item, source.protocol, summary)
            if progress is not None:
                progress(seen)
        writer.flush()
        summary.status = "succeeded"
    except HarvestError as exc:
        summary.status = "failed"
        summary.error = f"{type(exc).__name__}: {exc}"
        log.warning("source %s run %s failed: %s", source_id, run.id, summary.error)
    except Exception as exc:  # a bug or an unforeseen library error still ends as a recorded failed run
        summary.status = "failed"
        summary.error = f"internal error: {type(exc).__name__}: {exc}"
        log.exception("source %s run %s crashed", source_id, run.id)
    finally:
        try:
            writer.flush()
        except Exception as exc:
            summary.status = "failed"
            summary.error = summary.error or f"store error: {type(exc).__name__}: {exc}"
        _refresh_index(hub, writer)
        summary.seconds = time.monotonic() - started
        summary.not_modified = state.not_modified
        summary.notes.extend(state.notes)
        hub.store.finish_run(
            run.id,
            status=summary.status,
            added=summary.added,
            updated=summary.updated,
            unchanged=summary.unchanged,
            deleted=summary.deleted,
            failed=summary.failed,
            requests=state.requests,
            bytes=state.bytes,
            statuses=dict(state.statuses),
            notes=list(summary.notes),
            error=summary.error,
        )
    if summary.status == "succeeded":
        hub.store.set_source_state(source_id, {"etag": state.etag, "last_modified": state.last_modified})
    return summary


def _refresh_index(hub: Hub, writer: _RunWriter) -> None:
    if writer.index_failed:
        return
    try:
        hub.index.refresh()
    except Exception as exc:  # the run stands; the index is repaired from the store
        writer.index_failed = True
        writer.summary.notes.append(f"index refresh failed ({type(exc).__name__}: {exc})")


def _normalise_into(writer: _RunWriter, raw: RawRecord, protocol: str, summary: RunSummary) -> None:
    try:
        resource = normalize(raw, protocol)
    except SkipRecord:
        summary.skipped += 1
        return
    except InvalidRecord as exc:
        writer.fail(RecordFailure(raw.source_id, raw.native_id, f"InvalidRecord: {exc}"))
        return
    now = datetime.now(UTC)
    provenance = resource.provenance.model_copy(update={"harvested": now})
    writer.add(raw, resource.model_copy(update={"harvested": now, "provenance": provenance}))
