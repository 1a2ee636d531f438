"""A group of runs harvested one after the other in one process, their index writes in shared commits.

A feed run stores a handful of entries; committing the embedded index for each (a new segment, its
files written and synced, the searchers reloaded) cost most of a feed run (docs/harvest-performance.md).
A ``RunGroup`` gives its runs' index writes to one ``GroupIndex``, which sends them to the index
``INDEX_BATCH`` records at a time, and when the group is flushed: when a run ends ``GROUP_SECONDS``
or more after the oldest run still held, and at the end of the group.

A run of the group is recorded as ended only after the commit that made its records searchable: a
process that dies before that commit leaves its runs running, and the next process that opens the
hub ends them as failed after writing to the index what they stored (``hub.recovery``), exactly as
for a single run that died between its store writes and its index write. An index failure is noted
on every run whose records the failed write carried (the next run of each source levels the index).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType

import httpx

from harvesters.base import HarvestItem, HarvestState
from hub.context import Hub, recover_hub
from hub.pipeline.parse_ahead import ParseAhead
from hub.pipeline.run import EndedRun, Progress, harvest_source, refresh_index
from hub.pipeline.summary import RunSummary
from hub.pipeline.writer import INDEX_BATCH, IndexSink, RunWriter
from hub.store.schedules import get_schedules
from hub.store.subscriptions import any_subscription
from normalizers.resource import Resource
from registry.sources import Source

GROUP_SECONDS = 5.0  # the longest an ended run of a group waits to be searchable and recorded


class GroupIndex:
    """The index writes of a group's runs, sent to the hub's index ``INDEX_BATCH`` records at a time
    (``commit``); safe to share between the runs' writer threads."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.pending: dict[str, Resource] = {}
        self.writers: dict[int, RunWriter] = {}  # the runs whose records are pending, by run id
        self.lock = threading.RLock()

    def join(self, writer: RunWriter) -> None:
        """``writer``'s run sends its index writes here."""
        with self.lock:
            self.writers.setdefault(writer.run_id, writer)

    def add(self, resources: Iterable[Resource]) -> int:
        with self.lock:
            count = 0
            for resource in resources:
                self.pending[resource.id] = resource
                count += 1
            if len(self.pending) >= INDEX_BATCH:
                self.commit()
            return count

    def delete(self, ids: Iterable[str]) -> int:
        """What is pending first (a record added, then removed, in that order), then the removal."""
        with self.lock:
            self.commit()
            return self.hub.index.delete(ids)

    def commit(self) -> None:
        """Send every pending record to the index in one write; a failure is noted on their runs."""
        with self.lock:
            pending, self.pending = list(self.pending.values()), {}
            if not pending:
                return
            try:
                self.hub.index.add(pending)
            except Exception as exc:  # the store is the truth: each run's source levels the index later
                for writer in self.writers.values():
                    writer.index_error(exc)


class RunGroup:
    """Runs harvested one after the other (``harvest``), recorded in order once searchable.

    ``on_end(summary)`` is called for each run once it is recorded. Use it as a context manager (or
    call ``flush`` at the end): runs still held are made searchable and recorded on leaving."""

    def __init__(
        self,
        hub: Hub,
        on_end: Callable[[RunSummary], None] | None = None,
        *,
        planned: list[str] | None = None,
        full: bool = False,
    ) -> None:
        self.hub = hub
        # the feed sources planned (in the order of their runs) are fetched and parsed ahead
        self.ahead = ParseAhead(hub, planned or [], full)
        self.index = GroupIndex(hub)
        self.on_end = on_end
        self.held: list[EndedRun] = []
        self.since: float | None = None  # when the oldest held run ended
        recover_hub(hub)  # the runs whose process died, of every source (a single run: of its own)

    def harvest(
        self,
        source_id: str,
        *,
        full: bool = False,
        progress: Progress | None = None,
        client: httpx.Client | None = None,
        accept_deletions: bool = False,
    ) -> RunSummary:
        """Harvest one source in this group (``harvest_source``); its summary is complete once the
        run is recorded (``on_end``)."""
        self.ahead.advance(source_id)
        return harvest_source(
            self.hub,
            source_id,
            full=full,
            progress=progress,
            client=client,
            accept_deletions=accept_deletions,
            group=self,
        )

    def skip(self, source_id: str) -> None:
        """A planned source that gets no run in this group (an admin removed it since it was planned)."""
        self.ahead.skip(source_id)

    def sink(self, writer: RunWriter) -> IndexSink:
        """The group's shared index writes, for ``writer``'s run."""
        self.index.join(writer)
        return self.index

    def items(self, source: Source, state: HarvestState) -> Iterator[HarvestItem] | None:
        return self.ahead.items(source, state)

    def hold(self, ended: EndedRun) -> None:
        """An ended run, recorded with the next flush; flushes when it is due."""
        self.held.append(ended)
        now = time.monotonic()
        if self.since is None:
            self.since = now
        if len(self.index.pending) >= INDEX_BATCH or now - self.since >= GROUP_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Make the held runs' records searchable, then record each run and what follows it."""
        held, self.held, self.since = self.held, [], None
        self.index.commit()
        with self.index.lock:
            for ended in held:
                self.index.writers.pop(ended.summary.run_id, None)
        refresh_index(self.hub, [ended.writer for ended in held])
        if not held:
            return
        store = self.hub.store
        store.end_runs([ended.end() for ended in held])  # every held run recorded in one transaction
        subscribed = any_subscription(store)  # read once for the held runs, not once per run
        schedules = get_schedules(store, [ended.source.id for ended in held])
        for ended in held:
            ended.follow(subscribed, schedules)
            if self.on_end is not None:
                self.on_end(ended.summary)

    def __enter__(self) -> RunGroup:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.flush()
        finally:
            self.ahead.close()


def harvest_sources(
    hub: Hub,
    source_ids: Iterable[str],
    *,
    full: bool = False,
    accept_deletions: bool = False,
    on_end: Callable[[RunSummary], None] | None = None,
) -> list[RunSummary]:
    """Harvest the sources one after the other as one group (shared index commits, one HTTP client);
    returns their summaries in order, each complete."""
    from harvesters.http import make_client

    summaries: list[RunSummary] = []
    planned = list(source_ids)
    with (
        make_client(hub.settings.http_policy()) as client,
        RunGroup(hub, on_end, planned=planned, full=full) as group,
    ):
        for source_id in planned:
            summaries.append(
                group.harvest(source_id, full=full, client=client, accept_deletions=accept_deletions)
            )
    return summaries
