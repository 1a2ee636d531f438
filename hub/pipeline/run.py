"""The pipeline of one run: harvest -> normalise -> store -> index, with counts and errors on the run."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from harvesters.base import HarvestItem, HarvestState, SourceSpec
from harvesters.errors import ConfigurationError, HarvestError
from harvesters.records import RawRecord, RecordFailure
from hub.background import ReadAhead
from hub.context import Hub, recover_hub
from hub.pipeline.adaptive_polling import adapt_schedule
from hub.pipeline.beside import Beside
from hub.pipeline.deletions import DeletionGuard
from hub.pipeline.notifications import notify_source
from hub.pipeline.summary import RunSummary
from hub.pipeline.writer import IndexSink, RunWriter
from hub.protocols import hub_harvester
from hub.remembering import normalise_remembering
from hub.settings import Settings
from hub.store.clock import aware
from hub.store.runs import RunEnd
from hub.store.schedules import Schedules
from hub.unchanged import UnchangedFilter
from normalizers.chunks import Delivered
from normalizers.dispatch import normalize_outcomes
from normalizers.resource import Resource
from registry.source_options import common_options
from registry.sources import Source, StoredSource

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]
# Crosswalk and enrich one record, placed in its source's country/regions when it names none
# (normalizers.dispatch; the normalising helper process loads only hub.remembering of the hub), with
# what the enrichment's models answered kept for re-normalising (hub/remembering.py).
normalise_record = normalise_remembering


READ_AHEAD = 1000  # harvested items a run reads ahead of normalisation (about two OAI-PMH pages)
SOURCE_CLOCK = "source_clock"  # in a source's state: the source's own time when its last successful run began


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
    group: RunHolder | None = None,
) -> RunSummary:
    """Run one harvest of a source; incremental from the last successful run unless ``full``.

    Deletions wait for the run to succeed and follow the source's deletion policy; a run that would
    delete more than its share of the source ends ``quarantined`` instead (``accept_deletions``: an
    admin accepts them). In a ``group`` (``hub.pipeline.group``), the run's index writes go to the
    group's shared commit and the run is recorded as ended (with its source's state, notifications
    and next poll) only once that commit is made: the summary returned is complete then.
    """
    source = hub.store.get_source(source_id)  # as it is now: removed or changed since its group began
    if source is None:
        raise KeyError(f"no source {source_id!r}")
    if group is None:  # a group recovers every source once, when it begins
        recover_hub(hub, source_id)  # a run of it whose process died: ended, the index levelled after it
    last_started = None if full else hub.store.last_success_started(source_id)
    since = _next_window_start(source.state, last_started) if last_started else None
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
    writer = RunWriter(hub, source_id, run.id, summary)
    if group is not None:
        writer.index = group.sink(writer)
    beside = Beside(
        normalise_record,
        lambda raw: _normalise_into(writer, raw, source.protocol, summary, place),
        lambda raw, outcome: _deliver(writer, raw, outcome, summary),
        source.protocol,
        place,
    )
    records = _record_sink(hub, source_id, full, beside.add, summary)
    started = time.monotonic()
    seen = 0
    log = logging.LoggerAdapter(logger, {"source": source_id, "run": run.id})
    try:
        if source.problem:
            raise ConfigurationError(f"{source_id}: {source.problem}")
        with _items(hub, spec, state, client, group) as items:
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
        beside.flush()
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
            beside.flush()
            writer.finish()
        except Exception as exc:
            summary.status = "failed"
            summary.error = summary.error or f"store error: {type(exc).__name__}: {exc}"
        finally:
            beside.close()
        summary.seconds = time.monotonic() - started
        summary.not_modified = state.not_modified
        summary.notes.extend(state.notes)
        ended = EndedRun(hub, source, summary, state, writer)
        if group is None:
            _refresh_index(hub, writer)
            ended.record()
        else:
            group.hold(ended)
    if group is None:
        ended.follow()
    return summary


class RunHolder(Protocol):
    """A group of runs (``hub.pipeline.group.RunGroup``): where its runs' index writes go, and what
    records each run once they are searchable."""

    def sink(self, writer: RunWriter) -> IndexSink:
        """Where ``writer``'s run sends its index writes."""
        ...

    def hold(self, ended: EndedRun) -> None:
        """Record ``ended`` (``EndedRun.record`` and ``follow``) once its index writes are searchable."""
        ...

    def items(self, source: Source, state: HarvestState) -> Iterator[HarvestItem] | None:
        """The items of ``source``'s run when the group fetched them ahead from ``state`` for the source
        as it is now (the same protocol, URL and options), else None."""
        ...


def _items(
    hub: Hub, spec: Source, state: HarvestState, client: httpx.Client | None, group: RunHolder | None
) -> AbstractContextManager[Iterable[HarvestItem]]:
    """The run's items: fetched ahead by its group (already in memory: read as they are), else its
    harvester's, read ahead in a thread of their own."""
    ahead = None if group is None else group.items(spec, state)
    if ahead is not None:
        return nullcontext(ahead)
    harvested = hub_harvester(hub.settings, spec, hub.settings.http_policy(), client).harvest(state)
    return ReadAhead(harvested, READ_AHEAD, name=f"harvest-{spec.id}")


class EndedRun:
    """A run whose harvest has ended: what is left is to record it (``record``) once its index writes
    are searchable, then its source's state, notifications and next poll (``follow``)."""

    def __init__(
        self, hub: Hub, source: StoredSource, summary: RunSummary, state: HarvestState, writer: RunWriter
    ) -> None:
        self.hub = hub
        self.source = source
        self.summary = summary
        self.state = state
        self.writer = writer

    def end(self) -> RunEnd:
        """The run's end, counts and notes as the store records them, with its source's state (the
        validators of its response and the source's clock) when it succeeded."""
        summary, state = self.summary, self.state
        values = {
            "requests": state.requests,
            "bytes": state.bytes,
            "statuses": dict(state.statuses),
            **summary.outcome(),
        }
        kept: dict[str, Any] | None = None
        if summary.status == "succeeded":
            kept = {"etag": state.etag, "last_modified": state.last_modified}
            if state.source_clock is not None:
                kept[SOURCE_CLOCK] = state.source_clock.isoformat()
        return RunEnd(summary.run_id, values, summary.source_id, kept)

    def record(self) -> None:
        """The run's end, counts and notes into the store, with its source's state (one transaction)."""
        self.hub.store.end_runs([self.end()])

    def follow(self, subscribed: bool | None = None, schedules: Schedules | None = None) -> None:
        """What follows a recorded run: WebSub, the webhook and the next poll. ``subscribed`` and
        ``schedules``: what a group read once for all its runs (None: read for this run)."""
        hub, summary = self.hub, self.summary
        if summary.status != "failed" and summary.added + summary.updated + summary.deleted:
            from hub.websub.distributor import notify_run  # the feeds' web stack, only when there is news

            notify_run(hub, summary.run_id, subscribed)  # WebSub: queued for the delivery workers
        after_run(hub, self.source, summary, schedules)


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


def after_run(
    hub: Hub, source: StoredSource, summary: RunSummary, schedules: Schedules | None = None
) -> None:
    """What follows every run: the source's webhook (in its own thread) and, for a feed that succeeded,
    the next poll by its publishing frequency (``schedules``: the schedules of a group's sources, read
    once for them all)."""
    notify_source(hub, source, summary.run_id, summary.status)
    if summary.status == "succeeded":
        interval = adapt_schedule(hub, source, schedules)
        if interval is not None:
            note = f"adaptive polling: next poll in {interval} s"
            summary.notes.append(note)
            hub.store.add_run_note(summary.run_id, note)


def _refresh_index(hub: Hub, writer: RunWriter) -> None:
    refresh_index(hub, [writer])


def refresh_index(hub: Hub, writers: list[RunWriter]) -> None:
    """Make the index writes of ``writers``' runs searchable; a failure is noted on each run."""
    writers = [writer for writer in writers if not writer.index_failed]
    if not writers:
        return
    try:
        hub.index.refresh()
    except Exception as exc:  # the runs stand; the index is repaired from the store
        for writer in writers:
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


def _normalise_into(
    writer: RunWriter,
    raw: RawRecord,
    protocol: str,
    summary: RunSummary,
    place: tuple[Any, Any],
) -> None:
    _deliver(writer, raw, normalize_outcomes(normalise_record, [raw], protocol, place)[0], summary)


def _deliver(writer: RunWriter, raw: RawRecord, outcome: Delivered, summary: RunSummary) -> None:
    """One record's normalisation outcome into the run: skipped, a record error, or a record to write
    (a ``Ready`` one comes stamped with its harvest time)."""
    if outcome is None:
        summary.skipped += 1
        return
    if isinstance(outcome, str):
        writer.fail(RecordFailure(raw.source_id, raw.native_id, outcome))
        return
    if isinstance(outcome, Resource):
        now = datetime.now(UTC)
        outcome.harvested = outcome.provenance.harvested = now  # the crosswalk's own fresh object
    writer.add(raw, outcome)
