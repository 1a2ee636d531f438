"""Normalisation beside the run: a long run's records crosswalked and enriched in helper processes.

Crosswalk and enrichment are Python work under the GIL; the run's own process already has its
fetching and parsing (one thread) and its store and index writes (another) to do. ``Beside`` takes
the records a run hands to normalisation; the first ``START_AFTER`` are normalised in the run's own
process as before (a short run never starts a process), later ones go in chunks of ``CHUNK`` to
helper processes (spawned, so no thread or database connection of the run is copied: one for a
harvest, whose own process has the most work; two for re-normalising, whose own process has little),
at most ``DEPTH`` chunks ahead per helper; each free helper takes the next chunk, and the results
come back in the order the records came. Each result reaches the run exactly as if it had been made in
its own process: a Resource, a skipped record or a record error. A helper re-reads each record from
its payload bytes (the parsed element stays in the run's process); the records cross the pipe as plain
tuples (``normalizers.chunks``); a record added with its ``Stored`` (re-normalising: its stored
record's harvest time and content hash) comes back ``Ready``, what its writes need made in the helper
(with ``prepare``, the index document's fields too). While a run has helpers, what its process held
before is frozen (``gc.freeze``): the cyclic collector's full collections walk only what was made
since. Any other error of a helper (a bug, the process killed) is raised in the run, which then ends
as a failed run like any other internal error.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import multiprocessing as mp
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor

from harvesters.records import RawRecord
from hub.pipeline.helper_pool import helper_pool
from normalizers.chunks import Delivered, Normalise, Prepare, Row, Stored, normalise_rows, rows_of
from normalizers.dispatch import Place
from normalizers.language_detect import release_model
from normalizers.target_model import target_model

logger = logging.getLogger(__name__)

CHUNK = 500  # records sent to the helper at a time
DEPTH = 2  # chunks per helper it may be behind the run (memory stays flat: at most these in flight)
START_AFTER = 2 * CHUNK  # records a run normalises itself before it starts the helper


class Beside:
    """Hands a run's records to normalisation, in a helper process once the run is long enough.

    ``here(raw)`` normalises one record in the run's process; ``deliver(raw, outcome)`` takes the
    helpers' outcome of one record, in the order the records were added (``Ready`` for a record added
    with a ``Stored``). ``helpers`` is how many helper processes take chunks (each holds the models:
    about 160 MB); ``prepare`` makes a ready record's index document fields there. ``flush`` waits for
    every record handed over so far; ``close`` stops the helpers."""

    def __init__(
        self,
        normalise: Normalise,
        here: Callable[[RawRecord], None],
        deliver: Callable[[RawRecord, Delivered], None],
        protocol: str,
        place: Place,
        *,
        helpers: int = 1,
        prepare: Prepare | None = None,
    ) -> None:
        if helpers < 1:
            raise ValueError(f"helpers must be at least 1, not {helpers}")
        self.normalise = normalise
        self.helpers = helpers
        self.here = here
        self.deliver = deliver
        self.protocol = protocol
        self.place = place
        self.prepare = prepare
        self.seen = 0
        self.chunk: list[RawRecord] = []
        self.times: list[Stored | None] = []  # the chunk's ``Stored`` (re-normalising), in order
        self.pending: deque[tuple[list[RawRecord], Future[list[Delivered]]]] = deque()
        self.pool: ProcessPoolExecutor | None = None
        self.frozen = False  # this run holds the process's heap frozen (``_freeze``) while it has helpers
        # normalise every record here: a daemonic process may not start one, or starting it failed
        self.alone = mp.current_process().daemon

    def add(self, raw: RawRecord, stored: Stored | None = None) -> None:
        """Normalise ``raw``; ``stored``: when its stored record was harvested and its content hash
        (re-normalising: a helper stamps the Resource with that time and hands it back ``Ready``)."""
        self.seen += 1
        if self.seen <= START_AFTER or self.alone:
            self.here(raw)
            return
        # the helper reads the payload bytes; the parsed element (and its page) stays here
        self.chunk.append(dataclasses.replace(raw, element=None) if raw.element is not None else raw)
        self.times.append(stored)
        if len(self.chunk) >= CHUNK:
            self._send()

    def _send(self) -> None:
        if not self.chunk:
            return
        chunk, self.chunk = self.chunk, []
        times, self.times = self.times, []
        try:
            started = self.pool is None
            if self.pool is None:
                self.pool = helper_pool(self.helpers)
            rows: list[Row] = rows_of(chunk, times)  # plain tuples cross the pipe (normalizers/chunks.py)
            future = self.pool.submit(
                normalise_rows, self.normalise, rows, self.protocol, self.place, self.prepare
            )
            if started:  # the helpers enrich from now on: the run's process lets its models go
                release_model()
                target_model.cache_clear()
                _freeze()
                self.frozen = True
        except (AssertionError, OSError) as exc:  # a daemonic process (a Celery worker's) may have no child
            logger.info("no helper process for normalising (%s); normalising in the run's process", exc)
            self.alone = True
            for raw in chunk:
                self.here(raw)
            return
        self.pending.append((chunk, future))
        while len(self.pending) > DEPTH * self.helpers:
            self._take()

    def _take(self) -> None:
        chunk, future = self.pending.popleft()
        for raw, outcome in zip(chunk, future.result(), strict=True):
            self.deliver(raw, outcome)

    def flush(self) -> None:
        """Send what is held and deliver every outcome still to come."""
        self._send()
        while self.pending:
            self._take()

    def close(self) -> None:
        """Stop the helpers (what they have not delivered is dropped: the run has failed by then)."""
        self.chunk, self.times = [], []
        for _, future in self.pending:
            future.cancel()
        self.pending.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        if self.frozen:
            self.frozen = False
            _unfreeze()


_frozen = 0  # runs of this process with helpers: while any, what lived before the first is frozen
_freezing = threading.Lock()


def _freeze() -> None:
    """Move what the process holds now (its modules, the hub, ...) out of the cyclic collector's reach
    while a long run goes on: a full collection walks only what was made since (the run allocates
    hundreds of objects a record, and each full collection walked the whole heap again, about 20 µs
    of CPU per record). Objects freed by reference counting are freed all the same."""
    global _frozen
    with _freezing:
        _frozen += 1
        if _frozen == 1:
            gc.freeze()


def _unfreeze() -> None:
    """The last long run of the process has ended: everything is the collector's again (cyclic
    garbage among what was frozen is collected from now on)."""
    global _frozen
    with _freezing:
        _frozen -= 1
        if _frozen == 0:
            gc.unfreeze()
