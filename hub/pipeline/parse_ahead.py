"""The feed runs of a group fetched and parsed ahead, in a helper process.

In a group of many small feed runs (``gkss harvest --all`` over a network's feeds), feedparser is
about half of a run's work, and the run's own process has the normalising, the store and the index
to do besides. ``ParseAhead`` fetches, parses and normalises the group's next feed sources, at most
``DEPTH`` ahead, in one helper process (spawned, so no thread or database connection of the run is
copied): each into the items its harvester yields, its HarvestState at the end (validators, counts,
notes), the error that ended it, if any, and each live record's normalisation outcome (a Resource,
skipped, a record error: made as the run would make it). The run then takes them as if its own
harvester had yielded them, in the same order, the error raised after the items read before it,
and takes the outcome of each record the helper normalised from the same payload instead of
normalising it again (a record delivered unchanged is still counted unchanged, as always).

Only feed sources, fetched with the validators the run would send: a feed is one document fetched
whole, so fetching it moments before its run begins changes nothing the run records (an OAI-PMH run
asks for what changed since its last run began: it always fetches for itself). A group of fewer
than ``START_AT`` feed sources never starts the helper; a helper that fails leaves each run to fetch
for itself.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import multiprocessing as mp
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from harvesters.base import HarvestItem, HarvestState
from harvesters.http import HttpPolicy
from harvesters.records import RawRecord
from harvesters.registry import build_harvester, typed_source
from hub.context import Hub
from hub.pipeline.helper_pool import helper_pool
from hub.store.raw import stored_payload_hashes
from normalizers.dispatch import Outcome, Place, normalize_outcomes, normalize_placed
from registry.source_options import common_options
from registry.sources import Source

logger = logging.getLogger(__name__)

DEPTH = 4  # feed sources fetched and parsed ahead of the run in progress
START_AT = 8  # feed sources a group needs before it starts the helper
PROTOCOLS = frozenset({"feed"})


@dataclass
class Fetched:
    """What a harvester yielded for one run, fetched ahead: its items, its state at the end, the
    error that ended it (None: it ended normally), and each live record's normalisation outcome
    (by native id, with the payload it was made from)."""

    items: list[HarvestItem]
    state: HarvestState
    error: BaseException | None
    outcomes: dict[str, tuple[bytes, Outcome]] = dataclasses.field(default_factory=dict)


def fetch_ahead(
    source: tuple[str, str, str, dict[str, Any]],
    policy: HttpPolicy,
    state: HarvestState,
    place: Place,
    stored: dict[str, str],
) -> Fetched:
    """In the helper: harvest ``source`` (id, protocol, URL, stored options) from ``state`` to the end,
    keeping every item, and normalise its live records as the run would (``normalize_placed``),
    except those whose payload has the SHA-256 ``stored`` holds for their native id (the run counts
    them unchanged; one it does not is normalised by the run itself)."""
    items: list[HarvestItem] = []
    error: BaseException | None = None
    try:
        for item in build_harvester(typed_source(*source), policy).harvest(state):
            items.append(item)
    except Exception as exc:  # the run raises it, after the items read before it
        error = exc
    live = [
        item
        for item in items
        if isinstance(item, RawRecord)
        and not item.deleted
        and stored.get(item.native_id) != hashlib.sha256(item.payload).hexdigest()
    ]
    outcomes = normalize_outcomes(normalize_placed, live, source[1], place)
    made = {raw.native_id: (raw.payload, outcome) for raw, outcome in zip(live, outcomes, strict=True)}
    return Fetched(items, state, error, made)


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
        self.ahead: dict[str, tuple[HarvestState, Future[Fetched]]] = {}
        self.pool: ProcessPoolExecutor | None = None
        self.off = mp.current_process().daemon  # a daemonic process may have no child
        self.outcomes: dict[str, tuple[bytes, Outcome]] = {}  # the current run's, made by the helper

    def advance(self, source_id: str) -> None:
        """The run of ``source_id`` begins: fetch the next feed sources after it."""
        if self.off or len(self.planned) < START_AT:
            return
        if source_id in self.planned[self.next :]:
            self.next = self.planned.index(source_id, self.next) + 1
        while len(self.ahead) < DEPTH and self.next < len(self.planned):
            upcoming = self.planned[self.next]
            self.next += 1
            stored = self.hub.store.get_source(upcoming)
            if stored is None or stored.problem or stored.protocol not in PROTOCOLS or upcoming in self.ahead:
                continue
            self._submit(upcoming, stored.source, feed_state(stored.state, self.full))

    def _submit(self, source_id: str, source: Source, state: HarvestState) -> None:
        spec = (source.id, source.protocol, source.url, source.options.stored())  # options: by value
        options = common_options(source.options)
        place = (options.country, options.regions)
        try:
            if self.pool is None:
                self.pool = helper_pool(1)
            stored = {} if self.full else stored_payload_hashes(self.hub.store, source_id)
            future = self.pool.submit(
                fetch_ahead, spec, self.hub.settings.http_policy(), state, place, stored
            )
        except (AssertionError, OSError, RuntimeError) as exc:  # no child possible: runs fetch for themselves
            logger.info("no helper process for fetching feeds ahead (%s)", exc)
            self.off = True
            return
        self.ahead[source_id] = (dataclasses.replace(state), future)

    def items(self, source_id: str, state: HarvestState) -> Iterator[HarvestItem] | None:
        """The items of ``source_id``'s run, fetched ahead from the same ``state``; None when there
        are none (the run fetches for itself)."""
        self.outcomes = {}  # an earlier run's (another source's records) never serve this one
        held = self.ahead.pop(source_id, None)
        if held is None:
            return None
        sent, future = held
        if (sent.etag, sent.last_modified) != (state.etag, state.last_modified):
            future.cancel()  # fetched with other validators than the run has now
            return None
        try:
            fetched = future.result()
        except Exception as exc:  # the helper failed (not the source): the run fetches for itself
            logger.warning("fetching %s ahead failed (%s); its run fetches it", source_id, exc)
            return None
        self.outcomes, fetched.outcomes = fetched.outcomes, {}
        return _replayed(fetched, state)

    def outcome(self, raw: RawRecord) -> tuple[Outcome] | None:
        """The outcome the helper made of ``raw`` (the current run's record, the same payload), once;
        None: the run normalises it."""
        made = self.outcomes.pop(raw.native_id, None)
        if made is None or made[0] != raw.payload:
            return None
        return (made[1],)

    def close(self) -> None:
        for _, future in self.ahead.values():
            future.cancel()
        self.ahead.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


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
