"""On-demand micro-benchmark: what a harvested record costs between the run's process and its normalising
helper, each cut of issue 20's night of 2026-12-07 against what it replaced, CPU µs per record.

Not collected by pytest. Run it from the repository::

    python tests/benchmarks/bench_harvest.py ...   # the whole harvest (run B) and its peers
    python tests/benchmarks/bench_handover.py --records 3000

The records are those of the harvest benchmark (``harvest_corpus.build_records``: the real oai_dc
fixtures, cycled), served by its replay server on 127.0.0.1 and read by the OAI-PMH harvester as a
harvest reads them; each is then normalised once. Measured, best of ``--rounds``, one thread:

* **parse**: a record's payload parsed as the helper parses it (``parse_xml``, one parser per thread
  reused) against a parser made for each record (as before);
* **records out**: a chunk of records pickled and unpickled as plain tuples (``normalizers.chunks``)
  against ``RawRecord`` dataclasses;
* **index document**: ``tantivy_schema.document`` given the JSON the store wrote against encoding the
  Resource again;
* **collector**: normalising the records (as the helper does, in chunks of 500) with the process's
  long-lived objects frozen (``gc.freeze``) against not, and the time the cyclic collector took in each
  (``gc.callbacks``). This one runs last: it leaves the process frozen.

It always exits 0.
"""

from __future__ import annotations

import argparse
import gc
import pickle
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.harvest_corpus import build_records, make_server_class  # noqa: E402

CHUNK = 500


def best(work: Callable[[], object], count: int, rounds: int) -> float:
    """The least CPU µs per record of ``rounds`` runs of ``work`` over ``count`` records."""
    least = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        work()
        least = min(least, time.process_time() - started)
    return least / count * 1e6


def harvested(n: int) -> list[Any]:
    """The first ``n`` bench records as the OAI-PMH harvester yields them (without their elements)."""
    import dataclasses

    from harvesters.base import HarvestState
    from harvesters.records import RawRecord
    from hub.pipeline.run import source_spec
    from hub.protocols import hub_harvester
    from hub.settings import Settings
    from registry.sources import stored_source

    with make_server_class()(build_records(n), page_size=CHUNK) as server:
        home = Path(tempfile.mkdtemp(prefix="gkss-handover-"))
        settings = Settings(home=home, database_url=None, search_url=None, allow_private_networks=True)
        spec = source_spec(settings, stored_source("bench", "oai-pmh", server.url, {}).source)
        harvester = hub_harvester(settings, spec, settings.http_policy(), None)
        items = harvester.harvest(HarvestState(since=None))
        return [dataclasses.replace(item, element=None) for item in items if isinstance(item, RawRecord)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=3000, help="records measured (3000)")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each measurement, the best kept (5)")
    options = parser.parse_args(argv)

    from lxml import etree

    from harvesters.xml import _declares_entities, parse_xml, safe_parser
    from hub.search.tantivy_schema import document
    from normalizers.chunks import rows_of
    from normalizers.dispatch import normalize_outcomes, normalize_placed
    from normalizers.resource import Resource

    raws = harvested(options.records)
    n, rounds = len(raws), options.rounds
    outcomes = normalize_outcomes(normalize_placed, raws, "oai-pmh", (None, None))
    resources = [o for o in outcomes if isinstance(o, Resource)]
    print(f"{n} records harvested, {len(resources)} normalised (untimed)")
    rows: list[tuple[str, float, float]] = []  # what, before, after

    def fresh(payload: bytes) -> Any:
        _declares_entities(payload)
        return etree.fromstring(payload, parser=safe_parser())

    payloads = [raw.payload for raw in raws]
    rows.append(
        (
            "parse a record's payload (helper)",
            best(lambda: [fresh(p) for p in payloads], n, rounds),
            best(lambda: [parse_xml(p) for p in payloads], n, rounds),
        )
    )
    chunks = [raws[i : i + CHUNK] for i in range(0, n, CHUNK)]
    tuples = [rows_of(chunk) for chunk in chunks]
    old = [pickle.dumps(chunk) for chunk in chunks]
    new = [pickle.dumps(chunk) for chunk in tuples]
    rows.append(
        (
            "pickle a chunk of records (run)",
            best(lambda: [pickle.dumps(c) for c in chunks], n, rounds),
            best(lambda: [pickle.dumps(rows_of(c)) for c in chunks], n, rounds),
        )
    )
    rows.append(
        (
            "unpickle it (helper)",
            best(lambda: [pickle.loads(b) for b in old], n, rounds),
            best(lambda: [pickle.loads(b) for b in new], n, rounds),
        )
    )
    encoded = [r.model_dump_json() for r in resources]
    count = len(resources)
    rows.append(
        (
            "index document (run's write thread)",
            best(lambda: [document(r) for r in resources], count, rounds),
            best(lambda: [document(r, j) for r, j in zip(resources, encoded, strict=True)], count, rounds),
        )
    )
    rows.extend(collector(raws, normalize_placed, normalize_outcomes, rounds=max(1, rounds // 2)))

    print(f"CPU µs per record, best of {rounds}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"{'':44s} {'before':>9s} {'after':>9s}")
    for name, before, after in rows:
        print(f"{name:44s} {before:9.2f} {after:9.2f}")
    return 0


def collector(
    raws: list[Any], normalise: Any, outcomes_of: Any, *, rounds: int
) -> list[tuple[str, float, float]]:
    """Normalising in chunks without and with the long-lived objects frozen: all, and the collector."""
    spent = [0.0]
    began = [0.0]

    def timing(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.thread_time()
        else:
            spent[0] += time.thread_time() - began[0]

    chunks = [raws[i : i + CHUNK] for i in range(0, len(raws), CHUNK)]

    def normalise_all() -> None:
        for chunk in chunks:
            outcomes_of(normalise, chunk, "oai-pmh", (None, None))

    measured: dict[bool, tuple[float, float]] = {}
    gc.callbacks.append(timing)
    try:
        for frozen in (False, True):
            if frozen:
                gc.collect()
                gc.freeze()
            normalise_all()  # warm: the models loaded, the caches filled
            started = time.process_time()
            spent[0] = 0.0
            for _ in range(rounds):
                normalise_all()
            total = (time.process_time() - started) / (len(raws) * rounds) * 1e6
            measured[frozen] = (total, spent[0] / (len(raws) * rounds) * 1e6)
    finally:
        gc.callbacks.remove(timing)
    return [
        ("normalise, all (helper)", measured[False][0], measured[True][0]),
        ("  of it the cyclic garbage collector", measured[False][1], measured[True][1]),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
