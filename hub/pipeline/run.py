"""The pipeline of one run: harvest -> normalise -> store -> index, with counts and errors on the run."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from harvesters.base import HarvestState, SourceSpec
from harvesters.errors import ConfigurationError, HarvestError
from harvesters.records import RawRecord, RecordFailure
from hub.background import OrderedWorker, ReadAhead
from hub.context import Hub, recover_hub
from hub.pipeline.adaptive_polling import adapt_schedule
from hub.pipeline.deletions import DeletionGuard
from hub.pipeline.notifications import notify_source
from hub.protocols import hub_harvester
from hub.settings import Settings
from hub.store.clock import aware
from hub.store.store import BatchResult, NormalisedItem
from hub.unchanged import UnchangedFilter
from normalizers.dispatch import normalize
from normalizers.enrichment import with_source_place
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.resource import Resource
from registry.source_options import common_options
from registry.sources import Source, StoredSource

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
    quarantined: int = 0
    not_modified: bool = False
    error: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def add(self, batch: BatchResult) -> None:
        self.added += batch.added
        self.updated += batch.updated
        self.unchanged += batch.unchanged
        self.deleted += batch.deleted

    def outcome(self) -> dict[str, Any]:
        """What ``Store.finish_run`` records of the run: status, counts, notes and error."""
        return {
            "status": self.status,
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": self.failed,
            "notes": list(self.notes),
            "error": self.error,
        }

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
            "quarantined": self.quarantined,
            "not_modified": self.not_modified,
            "error": self.error,
            "seconds": round(self.seconds, 3),
            "notes": self.notes,
        }


_Batch = tuple[list[NormalisedItem], list[RecordFailure]]
READ_AHEAD = 1000  # harvested items a run reads ahead of normalisation (about two OAI-PMH pages)
SOURCE_CLOCK = "source_clock"  # in a source's state: the source's own time when its last successful run began


class _RunWriter:
    """Buffers normalised records and writes them to the store and the index batch by batch.

    The writes run in a thread of their own, in order, at most two batches behind the harvest
    (SQLite and the index client do their work outside the GIL); ``finish`` waits for them.
    """

    def __init__(self, hub: Hub, source_id: str, run_id: int, summary: RunSummary) -> None:
        self.hub = hub
        self.source_id = source_id
        self.run_id = run_id
        self.summary = summary
        self.items: list[NormalisedItem] = []
        self.failures: list[RecordFailure] = []
        self.index_failed = False
        self.worker: OrderedWorker[_Batch] = OrderedWorker(self._write, depth=2, name=f"write-{source_id}")

    def add(self, raw: RawRecord, resource: Resource | None) -> None:
        if raw.element is not None:  # the parsed payload (and with it the harvester's page) is done with
            raw = dataclasses.replace(raw, element=None)
        self.items.append(NormalisedItem(raw, resource))
        if len(self.items) >= self.hub.settings.batch_size:
            self.flush()

    def fail(self, failure: RecordFailure) -> None:
        self.summary.failed += 1
        self.failures.append(failure)
        if len(self.failures) >= self.hub.settings.batch_size:
            self.flush()

    def flush(self) -> None:
        if self.items or self.failures:
            batch, self.items, self.failures = (self.items, self.failures), [], []
            self.worker.submit(batch)

    def drain(self) -> None:
        """Write what is buffered and wait for it; more can be added afterwards."""
        self.flush()
        self.worker.drain()

    def finish(self) -> None:
        """Write what is buffered and wait for every write; raises the first write error."""
        self.flush()
        self.worker.finish()

    def _write(self, batch: _Batch) -> None:
        items, failures = batch
        if items:
            result = self.hub.store.apply_batch(self.source_id, self.run_id, items)
            self.summary.add(result)
            self._index(result)
        if failures:
            self.hub.store.record_failures(self.run_id, failures)

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
                "the next run of this source levels the index from the store"
            )


def source_spec(settings: Settings, source: Source) -> Source:
    """What a harvester is built from: the source, with the hub's defaults for what it leaves unset
    (the OAI-PMH overlap)."""
    options = source.options
    if "overlap_seconds" in type(options).model_fields and "overlap_seconds" not in options.model_fields_set:
        options = options.model_copy(update={"overlap_seconds": settings.oai_overlap_seconds})
    return SourceSpec(source.id, source.protocol, source.url, options)


def harvest_source(
    hub: Hub,
    source_id: str,
    *,
    full: bool = False,
    progress: Progress | None = None,
    client: httpx.Client | None = None,
    accept_deletions: bool = False,
) -> RunSummary:
    """Run one harvest of a source; incremental from the last successful run unless ``full``.

    Deletions wait for the run to succeed and follow the source's deletion policy; a run that would
    delete more than its share of the source ends ``quarantined`` instead (``accept_deletions``: an
    admin accepts them).
    """
    source = hub.store.get_source(source_id)
    if source is None:
        raise KeyError(f"no source {source_id!r}")
    recover_hub(hub, source_id)  # a run of it whose process died: ended, and the index levelled after it
    last = None if full else hub.store.last_successful_run(source_id)
    since = _next_window_start(source.state, last.started_at) if last else None
    spec = source_spec(hub.settings, source.source)
    options = common_options(spec.options)
    state = HarvestState(
        since=since,
        etag=None if full else source.state.get("etag"),
        last_modified=None if full else source.state.get("last_modified"),
    )
    # A source's configured country/regions, given to its records that name none (the node's place).
    place = (options.country, options.regions)
    guard = DeletionGuard(
        source_id,
        options.deletion_policy,
        options.delete_share(hub.settings.max_delete_share),
        accept=accept_deletions,
        complete=full or since is None,
    )
    run = hub.store.start_run(source_id, full, since)
    summary = RunSummary(run_id=run.id, source_id=source_id)
    summary.notes.extend(
        f"option {key} is not understood by {source.protocol}: kept, ignored" for key in source.ignored
    )
    writer = _RunWriter(hub, source_id, run.id, summary)
    records = _record_sink(
        hub,
        source_id,
        full,
        lambda raw: _normalise_into(writer, raw, source.protocol, summary, place),
        summary,
    )
    started = time.monotonic()
    seen = 0
    log = logging.LoggerAdapter(logger, {"source": source_id, "run": run.id})
    try:
        if source.problem:
            raise ConfigurationError(f"{source_id}: {source.problem}")
        harvester = hub_harvester(hub.settings, spec, hub.settings.http_policy(), client)
        with ReadAhead(harvester.harvest(state), READ_AHEAD, name=f"harvest-{source_id}") as items:
            for item in items:
                seen += 1
                if isinstance(item, RecordFailure):
                    writer.fail(item)
                elif item.deleted:
                    guard.hold(item)
                else:
                    guard.saw(item.native_id)
                    records.add(item)
                if progress is not None:
                    progress(seen)
        records.flush()
        writer.drain()  # everything else is stored before the deletions are weighed
        decision = guard.decide(hub.store)
        for tombstone in decision.apply:
            writer.add(tombstone, None)
        writer.finish()
        summary.notes.extend(decision.notes)
        summary.quarantined = decision.quarantined
        summary.status = "quarantined" if decision.quarantined else "succeeded"
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
            records.flush()  # what a failed run read before its failure is kept, as it streams in
            writer.finish()
        except Exception as exc:
            summary.status = "failed"
            summary.error = summary.error or f"store error: {type(exc).__name__}: {exc}"
        _refresh_index(hub, writer)
        summary.seconds = time.monotonic() - started
        summary.not_modified = state.not_modified
        summary.notes.extend(state.notes)
        hub.store.finish_run(
            run.id,
            requests=state.requests,
            bytes=state.bytes,
            statuses=dict(state.statuses),
            **summary.outcome(),
        )
    if summary.status == "succeeded":
        kept: dict[str, Any] = {"etag": state.etag, "last_modified": state.last_modified}
        if state.source_clock is not None:
            kept[SOURCE_CLOCK] = state.source_clock.isoformat()
        hub.store.set_source_state(source_id, kept)
    if summary.status != "failed" and summary.added + summary.updated + summary.deleted:
        from hub.websub.distributor import notify_run  # the feeds' web stack, only when there is news

        notify_run(hub, run.id)  # WebSub: queued for the delivery workers, never waited for
    after_run(hub, source, summary)
    return summary


def _next_window_start(state: dict[str, Any], last_started: datetime) -> datetime:
    """Where an incremental run's window starts: our clock when the last successful run began, or
    the source's own clock then (OAI-PMH responseDate) when that is earlier: a source whose clock runs
    behind ours stamps its records behind ours too. A source clock ahead of ours is not followed."""
    ours = aware(last_started)
    told = state.get(SOURCE_CLOCK)
    if not isinstance(told, str):
        return ours
    try:
        theirs = datetime.fromisoformat(told)
    except ValueError:
        return ours
    return min(ours, aware(theirs))


def after_run(hub: Hub, source: StoredSource, summary: RunSummary) -> None:
    """What follows every run: the source's webhook (in its own thread) and, for a feed that succeeded,
    the next poll by its publishing frequency."""
    notify_source(hub, source, summary.run_id, summary.status)
    if summary.status == "succeeded":
        interval = adapt_schedule(hub, source)
        if interval is not None:
            note = f"adaptive polling: next poll in {interval} s"
            summary.notes.append(note)
            hub.store.add_run_note(summary.run_id, note)


def _refresh_index(hub: Hub, writer: _RunWriter) -> None:
    if writer.index_failed:
        return
    try:
        hub.index.refresh()
    except Exception as exc:  # the run stands; the index is repaired from the store
        writer.index_failed = True
        writer.summary.notes.append(f"index refresh failed ({type(exc).__name__}: {exc})")


class _Direct:
    """A full run's records: each normalised as it comes."""

    def __init__(self, normalise: Callable[[RawRecord], None]) -> None:
        self.add = normalise

    def flush(self) -> None:
        pass


def _record_sink(
    hub: Hub, source_id: str, full: bool, normalise: Callable[[RawRecord], None], summary: RunSummary
) -> _Direct | UnchangedFilter:
    """Where a run's live records go: straight to normalisation in a full run; in an incremental
    run, those delivered again byte for byte are counted unchanged first (hub/unchanged.py)."""
    if full:
        return _Direct(normalise)

    def unchanged(count: int) -> None:
        summary.unchanged += count

    return UnchangedFilter(hub.store, source_id, hub.settings.batch_size, normalise, unchanged)


def normalise_record(raw: RawRecord, protocol: str, place: tuple[Any, Any]) -> Resource:
    """Crosswalk and enrich one record, placed in its source's country/regions when it names none.

    Raises SkipRecord (nothing to keep) or InvalidRecord (a record error)."""
    resource = normalize(raw, protocol)
    return with_source_place(resource, *place) if place != (None, None) else resource


def _normalise_into(
    writer: _RunWriter, raw: RawRecord, protocol: str, summary: RunSummary, place: tuple[Any, Any]
) -> None:
    try:
        resource = normalise_record(raw, protocol, place)
    except SkipRecord:
        summary.skipped += 1
        return
    except InvalidRecord as exc:
        writer.fail(RecordFailure(raw.source_id, raw.native_id, f"InvalidRecord: {exc}"))
        return
    now = datetime.now(UTC)
    resource.harvested = resource.provenance.harvested = now  # the crosswalk's own fresh object
    writer.add(raw, resource)
