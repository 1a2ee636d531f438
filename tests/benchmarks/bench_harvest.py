"""On-demand benchmark: OAI-PMH harvest-to-searchable throughput and peak memory on a local replay.

Not collected by pytest (``tests/benchmarks`` is in ``norecursedirs``). Run it from the repository::

    python tests/benchmarks/bench_harvest.py --records 100000 [--page-size 500] [--batch-size 500]

The corpus: N records made by cycling the real oai_dc records of ``load_real_records()`` (the copied
fixtures of Zenodo, MIT DSpace, EUR RePub, pyoai and sickle; deleted and metadata-less ones left out,
so every served record must end up searchable). Copy ``i`` keeps the original metadata except for
three things, so that the N records are N distinct documents:

* the header identifier is ``<original identifier>:bench-<i>``;
* the header datestamp is ``2024-01-01T00:00:00Z`` plus ``i`` seconds (unique, ascending);
* the first ``dc:title`` gets `` [gkssbench <i>]`` appended (so ``gkssbench`` matches every record).

The records are served on 127.0.0.1 by ``BenchReplayServer``, a subclass of the test suite's
``OaiReplayServer`` that answers ListRecords from a lean page cache (each record serialised once;
a page is a byte join, not an lxml tree built per request) and everything else (Identify, errors)
through the replay server itself. It speaks real OAI-PMH: an ``<OAI-PMH>`` envelope with
``responseDate`` and ``request``, ``from``/``until`` windows, resumption tokens with
``completeListSize`` and ``cursor``, ``badResumptionToken`` for unknown tokens.

The server runs in this (parent) process; every run is a separate ``spawn`` child, so on a 2-core
machine the server thread competes with the baseline and the pipeline alike:

* Run A, baseline: httpx fetches Identify and the same ListRecords pages, lxml parses each page and
  every record's identifier and title are read, following resumption tokens.
* Run F, the engines' floor: run A plus only the raw-store and FTS5 writes (no crosswalk), in one
  process; run G, the same floor spread over three processes (fetch and parse; store file; index file),
  the raw bytes cut from the page instead of serialised. Together they bound what any pipeline on the
  embedded store and index can reach here.
* Run B, the pipeline: a fresh GKSS_HOME (temporary directory), ``harvest_source(full=True)`` into
  the SQLite store and the FTS5 index, then ``hub.index.count() == N`` and a text query
  (``gkssbench`` must match N documents, ``gkssbench <k>`` must find copy ``k``). Its time runs
  from the call of ``harvest_source`` to the end of those checks ("harvest to searchable").
* Run B again at N/4 on its own server, to show that peak memory does not grow with the source.
* After B, in the same child: ``renormalise_source`` (``gkss renormalise``) over B's store, nothing
  fetched, four times: every record unchanged (the record memos made), every record changed (the
  stored content hashes marked stale; the memos used), unchanged again (the memos used), and every
  record changed without the memos (``memo=False``); issue 20's target is twice B's harvest rate.
* Run S (``harvest_stages.py``): the pipeline's stages one at a time, CPU us per record each.
* Run P (``harvest_stages.py``): oaipmh-scythe dumping the same replay to JSON lines, what a user
  writes instead of running a hub; issue 20's target is B/P >= 1.0.

``--only stages`` runs S alone; ``--only peer`` runs S, P and B (not A, F, G).

Peak memory is each child's VmHWM (``/proc/self/status``, the high-water mark of its own address
space, read just before it exits; ``getrusage(RUSAGE_SELF)`` where there is no /proc). The parent
also samples the child's ``/proc/PID/status`` every 50 ms for the peaks of RssAnon, RssFile and
RssShmem, to tell heap growth from file pages SQLite maps (``PRAGMA mmap_size``), which count in
RSS but are reclaimable.

The benchmark measures; it always exits 0, printing PASS/MISS against the targets
(B/A >= 0.50, B/P >= 1.0, re-normalising >= 2 x B, peak RSS of B < 300 MB).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests``, ``hub`` ... importable (also in children)
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.harvest_children import in_child  # noqa: E402
from tests.benchmarks.harvest_corpus import MARK, build_records, make_server_class, native_id_of  # noqa: E402
from tests.benchmarks.harvest_floors import (  # noqa: E402
    peak_rss_mb,
    run_baseline,
    run_floor,
    run_floor_parallel,
    run_floor_tantivy,
)
from tests.benchmarks.harvest_memory import Checkpoints, print_checkpoints  # noqa: E402
from tests.benchmarks.harvest_report import report  # noqa: E402
from tests.benchmarks.harvest_stages import print_stages, run_scythe_dump, run_stages  # noqa: E402

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

SOURCE_ID = "bench"


def run_pipeline(url: str, expected: int, probe: tuple[int, str], batch_size: int, conn: Connection) -> None:
    """Run B: harvest_source into a fresh GKSS_HOME, every record searchable, re-normalised four ways."""
    _pipeline(url, expected, probe, batch_size, conn, renormalising=True)


def run_harvest_alone(
    url: str, expected: int, probe: tuple[int, str], batch_size: int, conn: Connection
) -> None:
    """Run B without re-normalising (``--only memory``): the harvest's own memory."""
    _pipeline(url, expected, probe, batch_size, conn, renormalising=False)


def _pipeline(
    url: str, expected: int, probe: tuple[int, str], batch_size: int, conn: Connection, *, renormalising: bool
) -> None:
    from hub.context import open_hub
    from hub.pipeline import harvest_source
    from hub.renormalise import renormalise_source
    from hub.search.base import SearchQuery
    from hub.settings import Settings
    from normalizers.resource import resource_id

    with tempfile.TemporaryDirectory(prefix="gkss-bench-") as home:
        settings = Settings(
            home=Path(home),
            database_url=None,
            search_url=None,
            batch_size=batch_size,
            allow_private_networks=True,  # the replay server is on 127.0.0.1
        )
        hub = open_hub(settings)
        try:
            hub.store.add_source(SOURCE_ID, "oai-pmh", url, {})
            started, cpu, helper = time.perf_counter(), time.process_time(), _children_cpu()
            checkpoints = Checkpoints(expected)
            summary = harvest_source(hub, SOURCE_ID, full=True, progress=checkpoints)
            checkpoints.take("run ended")
            helper = _children_cpu() - helper  # the normalising helper process, ended with the run
            harvested = time.perf_counter() - started
            indexed = hub.index.count()
            everyone = hub.index.search(SearchQuery(text=MARK, size=1, facets=False)).total
            serial, native_id = probe
            page = hub.index.search(SearchQuery(text=f"{MARK} {serial}", size=10, facets=False))
            found = resource_id(SOURCE_ID, native_id) in {hit.id for hit in page.hits}
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu
            stored = hub.store.count_records(SOURCE_ID)
            disk = sum(p.stat().st_size for p in Path(home).rglob("*") if p.is_file())
            if not renormalising:  # --only memory: the harvest alone
                peak, taken = peak_rss_mb(), checkpoints.taken
                conn.send(
                    {
                        "indexed": indexed,
                        "probe_found": found,
                        "seconds": seconds,
                        "rss_mb": peak,
                        "checkpoints": taken,
                    }
                )
                return
            # The memos (hub/remembering.py) are made by the harvest, used by the
            # next ones; the last re-normalises every changed record without them (memo=False).
            phases = {"renormalise": _renormalised(hub, renormalise_source, stale=False, memo=True)}
            phases["renormalise_changed"] = _renormalised(hub, renormalise_source, stale=True, memo=True)
            with_memos = _stored_digest(hub)
            phases["renormalise_again"] = _renormalised(hub, renormalise_source, stale=False, memo=True)
            phases["renormalise_changed_nomemo"] = _renormalised(
                hub, renormalise_source, stale=True, memo=False
            )
            same_without_memos = _stored_digest(hub) == with_memos
        finally:
            hub.close()
    conn.send(
        {
            "status": summary.status,
            "error": summary.error,
            "added": summary.added,
            "failed": summary.failed,
            "skipped": summary.skipped,
            "stored": stored,
            "indexed": indexed,
            "text_total": everyone,
            "probe_found": found,
            "harvest_seconds": harvested,
            "seconds": seconds,
            "cpu": cpu,
            "helper_cpu": helper,
            "helper_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            "disk_mb": disk / (1024 * 1024),
            **phases,
            "same_without_memos": same_without_memos,
            "rss_mb": peak_rss_mb(),
            "checkpoints": checkpoints.taken,
            "expected": expected,
        }
    )


def _renormalised(hub: Any, renormalise: Any, *, stale: bool, memo: bool) -> dict[str, Any]:
    """One re-normalising of B's store (every record marked changed first when ``stale``), timed:
    wall clock, CPU of this process and of its helpers."""
    if stale:
        _stale_normalised(hub)  # as after a crosswalk or vocabulary change: every record now differs
    seconds, cpu, helpers = time.perf_counter(), time.process_time(), _children_cpu()
    summary = renormalise(hub, SOURCE_ID, memo=memo)
    return {
        "status": summary.status,
        "unchanged": summary.unchanged,
        "updated": summary.updated,
        "seconds": time.perf_counter() - seconds,
        "cpu": time.process_time() - cpu,
        "helpers_cpu": _children_cpu() - helpers,  # its helpers end with the run
    }


def _stored_digest(hub: Any) -> str:
    """A digest of every stored record (id and Resource JSON, in id order): the same Resources give
    the same digest."""
    import hashlib

    from sqlalchemy import text

    digest = hashlib.sha256()
    with hub.store.session() as s:
        for rid, resource in s.execute(text("SELECT id, resource FROM records ORDER BY id")):
            digest.update(f"{rid}\0{resource}\0".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _children_cpu() -> float:
    """CPU seconds of this process's ended child processes (the run's normalising helper)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stale_normalised(hub: Any) -> None:
    """Mark every stored normalised record of the source as differing from what its crosswalk now
    makes (what a crosswalk or vocabulary version bump does), so re-normalising rewrites and re-indexes
    every one of them instead of finding them unchanged."""
    from sqlalchemy import update

    from hub.store.models import RecordRow

    with hub.store.session() as s, s.begin():
        s.execute(update(RecordRow).where(RecordRow.source_id == SOURCE_ID).values(content_hash="stale"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100_000, help="N, the number of records (100000)")
    parser.add_argument("--page-size", type=int, default=500, help="records per ListRecords page (500)")
    parser.add_argument("--batch-size", type=int, default=500, help="the hub's GKSS_BATCH_SIZE (500)")
    parser.add_argument(
        "--stage-records", type=int, default=20_000, help="records run S times stage by stage (20000)"
    )
    parser.add_argument(
        "--only",
        choices=("stages", "peer", "memory"),
        help="only S (stage costs); only S, P and B (the peer ratio); only B at N (its memory as it goes)",
    )
    options = parser.parse_args(argv)
    n = max(4, options.records)

    started = time.perf_counter()
    records = build_records(n)
    quarter = records[: n // 4]
    size = sum(map(len, records)) / 2**20
    print(f"built {n} records in {time.perf_counter() - started:.1f}s ({size:.0f} MB of XML)")
    server_class = make_server_class()
    with (
        server_class(records, page_size=options.page_size) as server,
        server_class(quarter, page_size=options.page_size) as quarter_server,
    ):
        print(f"replay servers at {server.url} (N) and {quarter_server.url} (N/4)")
        if options.only == "memory":
            print("run B at N (memory) ...", flush=True)
            last = (n - 1, native_id_of(records[-1]))
            b = in_child(run_harvest_alone, server.url, n, last, options.batch_size)
            print_checkpoints(b.get("checkpoints", []))
            peak, indexed = b.get("rss_mb", 0.0), b.get("indexed")
            print(f"B: {b.get('seconds', 0):.1f} s, peak RSS {peak:.1f} MB, {indexed} indexed")
            return 0
        print(f"run S (stage costs, {min(n, options.stage_records)} records) ...", flush=True)
        s = in_child(run_stages, server.url, min(n, options.stage_records), options.batch_size)
        print_stages(s)
        if options.only == "stages":
            return 0
        print("run P (oaipmh-scythe to JSON lines) ...", flush=True)
        p = in_child(run_scythe_dump, server.url)
        print("run T (engine floor on Tantivy) ...", flush=True)
        t = in_child(run_floor_tantivy, server.url)
        if options.only != "peer":
            print("run A (baseline) ...", flush=True)
            a = in_child(run_baseline, server.url)
            print("run F (engine floor) ...", flush=True)
            f = in_child(run_floor, server.url)
            print("run G (engine floor, 3 processes) ...", flush=True)
            g = in_child(run_floor_parallel, server.url)
        else:
            a = f = g = {"crashed": True}
        print("run B at N/4 ...", flush=True)
        probe_q = (len(quarter) - 1, native_id_of(quarter[-1]))
        b_quarter = in_child(run_pipeline, quarter_server.url, len(quarter), probe_q, options.batch_size)
        print("run B at N ...", flush=True)
        b = in_child(run_pipeline, server.url, n, (n - 1, native_id_of(records[-1])), options.batch_size)
    print()
    print_stages(s)
    print_checkpoints(b.get("checkpoints", []))
    report(n, options.page_size, a, b_quarter, b, f, g, p, t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
