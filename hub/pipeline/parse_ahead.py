"""The feed runs of a group fetched and parsed ahead, in helper processes.

In a group of many small feed runs (``gkss harvest --all`` over a network's feeds), feedparser is
most of a run's work besides the run's own normalising, store and index writes. ``ParseAhead``
fetches and parses the group's next feed sources, at most ``DEPTH`` ahead, in ``HELPERS`` helper
processes (spawned, so no thread or database connection of the run is copied): each into the items
its harvester yields, its HarvestState at the end (validators, counts, notes) and the error that
ended it, if any. The run then takes them as if its own harvester had yielded them, in the same
order, the error raised after the items read before it, and normalises and writes them itself.

The helpers only fetch and parse (no normaliser model is loaded in them: about 100 MB resident each,
the hub's modules): with two of them beside the run's process, the machine's two cores stay busy
with feeds while the run normalises and writes (docs/harvest-performance.md: one helper that also
normalised was the group's critical path, the run waiting for it on every feed).

Only feed sources, fetched with the validators the run would send: a feed is one document fetched
whole, so fetching it moments before its run begins changes nothing the run records (an OAI-PMH run
asks for what changed since its last run began: it always fetches for itself). A group of fewer
than ``START_AT`` feed sources never starts the helpers; a helper that fails leaves each run to fetch
for itself.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing as mp
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from harvesters.base import HarvestItem, HarvestState
from harvesters.http import HttpPolicy
from harvesters.registry import build_harvester, typed_source
from hub.context import Hub
from hub.pipeline.helper_pool import helper_pool
from registry.sources import Source, StoredSource

logger = logging.getLogger(__name__)

HELPERS = 2  # helper processes fetching and parsing feeds
DEPTH = 3 * HELPERS  # feed sources fetched and parsed ahead of the run in progress
START_AT = 8  # feed sources a group needs before it starts the helpers
LOOKUP = 64  # planned sources read from the store in one query
PROTOCOLS = frozenset({"feed"})


@dataclass
class Fetched:
    """What a harvester yielded for one run, fetched ahead: its items, its state at the end, and the
    error that ended it (None: it ended normally)."""

    items: list[HarvestItem]
    state: HarvestState
    error: BaseException | None


Fetch = tuple[str, str, str, dict[str, Any]]  # a source's id, protocol, URL and stored options


def fetch_ahead(source: Fetch, policy: HttpPolicy, state: HarvestState) -> Fetched:
    """In a helper: harvest ``source`` (id, protocol, URL, stored options) from ``state`` to the end,
    keeping every item."""
    items: list[HarvestItem] = []
    error: BaseException | None = None
    try:
        for item in build_harvester(typed_source(*source), policy).harvest(state):
            items.append(item)
    except Exception as exc:  # the run raises it, after the items read before it
        error = exc
    return Fetched(items, state, error)


def feed_state(stored: dict[str, object], full: bool) -> HarvestState:
    """The state a feed run starts from: the validators of its last response (none in a full run)."""
    etag, last_modified = stored.get("etag"), stored.get("last_modified")
    return HarvestState(
        etag=None if full or not isinstance(etag, str) else etag,
        last_modified=None if full or not isinstance(last_modified, str) else last_modified,
    )


class ParseAhead:
    """Fetches and parses a group's planned feed sources ahead of their runs (``advance``), and gives
    each run its items (``items``)."""

    def __init__(self, hub: Hub, planned: list[str], full: bool) -> None:
        self.hub = hub
        self.full = full
        self.planned = planned
        self.next = 0  # the first planned source not yet submitted
        # by source: what it was fetched by (_fetched_as), the state sent, what the helper makes
        self.ahead: dict[str, tuple[Fetch, HarvestState, Future[Fetched]]] = {}
        self.pool: ProcessPoolExecutor | None = None
        self.looked_up: set[str] = set()  # the planned sources last read from the store ...
        self.known: dict[str, StoredSource] = {}  # ... and those of them stored
        self.off = mp.current_process().daemon  # a daemonic process may have no child

    def advance(self, source_id: str) -> None:
        """The run of ``source_id`` begins: fetch the next feed sources after it."""
        if self.off or len(self.planned) < START_AT:
            return
        if source_id in self.planned[self.next :]:
            self.next = self.planned.index(source_id, self.next) + 1
        while len(self.ahead) < DEPTH and self.next < len(self.planned):
            upcoming = self.planned[self.next]
            stored = self._stored(self.next)
            self.next += 1
            if stored is None or stored.problem or stored.protocol not in PROTOCOLS or upcoming in self.ahead:
                continue
            self._submit(stored, feed_state(stored.state, self.full))

    def _stored(self, position: int) -> StoredSource | None:
        """The planned source at ``position`` as stored, read with the next ``LOOKUP`` planned ones in
        one query (each run compares it with its source as it is then: ``items``)."""
        source_id = self.planned[position]
        if source_id not in self.looked_up:
            chunk = self.planned[position : position + LOOKUP]
            self.looked_up, self.known = set(chunk), self.hub.store.get_sources(chunk)
        return self.known.get(source_id)

    def _submit(self, stored: StoredSource, state: HarvestState) -> None:
        spec = _fetched_as(stored.source)  # options: by value
        try:
            if self.pool is None:
                self.pool = helper_pool(HELPERS)
            future = self.pool.submit(fetch_ahead, spec, self.hub.settings.http_policy(), state)
        except (AssertionError, OSError, RuntimeError) as exc:  # no child possible: runs fetch for themselves
            logger.info("no helper process for fetching feeds ahead (%s)", exc)
            self.off = True
            return
        self.ahead[stored.source.id] = (spec, dataclasses.replace(state), future)

    def items(self, source: Source, state: HarvestState) -> Iterator[HarvestItem] | None:
        """The items of ``source``'s run, fetched ahead for the same source (protocol, URL, options:
        an admin may change them meanwhile) from the same ``state``; None when there are none (the
        run fetches for itself)."""
        held = self.ahead.pop(source.id, None)
        if held is None:
            return None
        spec, sent, future = held
        if spec != _fetched_as(source) or (sent.etag, sent.last_modified) != (
            state.etag,
            state.last_modified,
        ):
            future.cancel()  # fetched for another source or validators than the run has now
            return None
        try:
            fetched = future.result()
        except Exception as exc:  # the helper failed (not the source): the run fetches for itself
            logger.warning("fetching %s ahead failed (%s); its run fetches it", source.id, exc)
            return None
        return _replayed(fetched, state)

    def skip(self, source_id: str) -> None:
        """A planned source that gets no run (removed since it was planned): what was fetched ahead for
        it is let go, and the next feeds are fetched in its place."""
        held = self.ahead.pop(source_id, None)
        if held is not None:
            held[2].cancel()
        self.advance(source_id)

    def close(self) -> None:
        for *_, future in self.ahead.values():
            future.cancel()
        self.ahead.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _fetched_as(source: Source) -> Fetch:
    """What a source is fetched by: its id, protocol, URL and stored options."""
    return (source.id, source.protocol, source.url, source.options.stored())


def _replayed(fetched: Fetched, state: HarvestState) -> Iterator[HarvestItem]:
    """The run's items as its harvester yielded them ahead, ``state`` made what it made of it."""
    done = fetched.state
    for name in ("etag", "last_modified", "not_modified", "source_clock", "requests", "bytes"):
        setattr(state, name, getattr(done, name))
    state.statuses.update(done.statuses)
    state.notes.extend(done.notes)
    items, fetched.items = fetched.items, []
    items.reverse()  # popped from the end: each item is let go once the run has it
    while items:
        yield items.pop()
    if fetched.error is not None:
        raise fetched.error
