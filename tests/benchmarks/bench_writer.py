"""On-demand benchmark: the write stage alone (store and index) of the harvest and of re-normalising.

Not collected by pytest. Run it from the repository::

    python tests/benchmarks/bench_writer.py --records 20000 [--profile writer.prof]

What bounds a long OAI-PMH harvest and the re-normalising of changed records is the run's own
process, and in it the writes: each batch of normalised records upserted into the store (raw and
normalised rows in one transaction) and given to the index every ``INDEX_BATCH`` records. This
benchmark measures those writes and nothing else, on the harvest benchmark's records
(``harvest_corpus.build_records``: the real oai_dc fixtures, cycled): the records are parsed by the
OAI-PMH harvester's own reading and normalised once, untimed; then, in a fresh embedded hub (SQLite
and Tantivy), three phases are timed, each as the pipeline does it (``hub.store.apply_batch`` per
``--batch-size`` records, ``hub.index.add`` per ``INDEX_BATCH``), CPU and wall clock, store and
index apart:

* **added**: every record new (what a first harvest writes);
* **unchanged**: every record again from the store's raw payloads' point of view (re-normalising
  with nothing changed: ``raw=False``, every content hash the same);
* **changed**: every stored content hash marked stale first (what a crosswalk or vocabulary version
  bump does), then the same records again with ``raw=False``: every normalised row rewritten and
  every document re-indexed (re-normalising changed records).

``--profile FILE`` writes a cProfile of the three phases (read it with ``python -m pstats``). The
store and index are checked after each phase (exact counts). It always exits 0.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.harvest_corpus import OAI_NS, build_records  # noqa: E402

SOURCE_ID = "bench"
PHASES = ("added", "unchanged", "changed")


def corpus(n: int) -> list[Any]:
    """N (RawRecord, Resource) pairs: the harvest benchmark's records read and normalised as a run would."""
    from lxml import etree

    from harvesters.oaipmh import OaiPmhHarvester
    from hub.pipeline import normalise_record, source_spec
    from hub.settings import Settings
    from registry.sources import registered_source

    settings = Settings(home=Path(tempfile.gettempdir()), allow_private_networks=True)
    spec = source_spec(settings, registered_source(SOURCE_ID, "oai-pmh", "http://127.0.0.1/oai"))
    harvester = OaiPmhHarvester(spec, settings.http_policy())
    records = build_records(n)
    out: list[Any] = []
    seen: set[str] = set()
    for start in range(0, n, 500):
        page = b"".join(records[start : start + 500])
        envelope = f'<OAI-PMH xmlns="{OAI_NS}"><ListRecords>'.encode()
        root = etree.fromstring(envelope + page + b"</ListRecords></OAI-PMH>")
        reading = harvester._read_page(root, "bench", seen)
        for raw in reading:
            resource = normalise_record(raw, "oai-pmh", (None, None))
            resource.harvested = resource.provenance.harvested = datetime.now(UTC)
            out.append((raw.__class__(**{**_fields(raw), "element": None}), resource))
    return out


def _fields(raw: Any) -> dict[str, Any]:
    return {name: getattr(raw, name) for name in raw.__dataclass_fields__}


class Clock:
    """CPU and wall seconds per (phase, part)."""

    def __init__(self) -> None:
        self.cpu: dict[tuple[str, str], float] = {}
        self.wall: dict[tuple[str, str], float] = {}

    def time(self, phase: str, part: str, work: Callable[[], Any]) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return work()
        finally:
            key = (phase, part)
            self.cpu[key] = self.cpu.get(key, 0.0) + time.process_time() - cpu
            self.wall[key] = self.wall.get(key, 0.0) + time.perf_counter() - wall


def write_phase(
    hub: Any, run_id: int, pairs: list[Any], batch: int, phase: str, clock: Clock, index_batch: int = 0
) -> int:
    """Write every pair as a run's writer does (store per batch, index per INDEX_BATCH); returns how
    many were indexed."""
    from hub.pipeline.writer import INDEX_BATCH, PendingSink
    from hub.store.store import NormalisedItem

    index_batch = index_batch or INDEX_BATCH
    raw_too = phase == "added"
    send = hub.index.add_pending if isinstance(hub.index, PendingSink) else hub.index.add  # as RunWriter
    pending: dict[str, Any] = {}
    indexed = 0
    for start in range(0, len(pairs), batch):
        items = [NormalisedItem(raw, resource) for raw, resource in pairs[start : start + batch]]
        result = clock.time(
            phase, "store", lambda i=items: hub.store.apply_batch(SOURCE_ID, run_id, i, raw=raw_too)
        )
        pending.update((r.id, r) for r in result.to_index)
        if len(pending) >= index_batch:
            indexed += clock.time(phase, "index", lambda p=list(pending.values()): send(p))
            pending = {}
    if pending:
        indexed += clock.time(phase, "index", lambda p=list(pending.values()): send(p))
    clock.time(phase, "index", hub.index.refresh)
    return indexed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000, help="records written (20000)")
    parser.add_argument("--batch-size", type=int, default=500, help="the hub's GKSS_BATCH_SIZE (500)")
    parser.add_argument(
        "--index-batch", type=int, default=0, help="records per index write (the writer's INDEX_BATCH)"
    )
    parser.add_argument("--profile", help="write a cProfile of the timed phases to this file")
    options = parser.parse_args(argv)

    from sqlalchemy import update

    from hub.context import open_hub
    from hub.settings import Settings
    from hub.store.models import RecordRow

    started = time.perf_counter()
    pairs = corpus(options.records)
    n = len(pairs)
    load = os.getloadavg()[0]
    print(f"{n} records read and normalised in {time.perf_counter() - started:.1f} s (untimed)")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC, load {load:.2f}")
    clock = Clock()
    profile = cProfile.Profile() if options.profile else None
    counts: dict[str, tuple[int, int, int]] = {}
    with tempfile.TemporaryDirectory(prefix="gkss-writer-") as home:
        settings = Settings(
            home=Path(home), database_url=None, search_url=None, batch_size=options.batch_size
        )
        hub = open_hub(settings)
        try:
            hub.store.add_source(SOURCE_ID, "oai-pmh", "http://127.0.0.1/oai", {})
            for phase in PHASES:
                run = hub.store.start_run(SOURCE_ID, True, None)
                if phase == "changed":
                    with hub.store.session() as s, s.begin():
                        s.execute(update(RecordRow).values(content_hash="stale"))
                if profile is not None:
                    profile.enable()
                batch, index_batch = options.batch_size, options.index_batch
                indexed = write_phase(hub, run.id, pairs, batch, phase, clock, index_batch)
                if profile is not None:
                    profile.disable()
                counts[phase] = (indexed, hub.store.count_records(SOURCE_ID), hub.index.count())
        finally:
            hub.close()
    print(f"{'phase':<11}{'store µs':>10}{'index µs':>10}{'both µs':>10}{'wall µs':>10}  (per record, CPU)")
    for phase in PHASES:
        store, index = clock.cpu.get((phase, "store"), 0.0), clock.cpu.get((phase, "index"), 0.0)
        wall = clock.wall.get((phase, "store"), 0.0) + clock.wall.get((phase, "index"), 0.0)
        per = 1e6 / n
        print(
            f"{phase:<11}{store * per:>10.1f}{index * per:>10.1f}{(store + index) * per:>10.1f}"
            f"{wall * per:>10.1f}"
            f"  indexed {counts[phase][0]}, stored {counts[phase][1]}, in the index {counts[phase][2]}"
        )
    expected = {"added": (n, n, n), "unchanged": (0, n, n), "changed": (n, n, n)}
    print("exact counts:", "PASS" if counts == expected else f"MISS {counts} != {expected}")
    if profile is not None:
        profile.dump_stats(options.profile)
        print(f"profile written to {options.profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
