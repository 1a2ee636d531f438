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
  fetched; issue 20's target is twice B's harvest rate.
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
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests``, ``hub`` ... importable (also in children)
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.harvest_corpus import MARK, build_records, make_server_class, native_id_of  # noqa: E402
from tests.benchmarks.harvest_floors import peak_rss_mb, run_baseline, run_floor, run_floor_parallel  # noqa: E402
from tests.benchmarks.harvest_stages import print_stages, run_scythe_dump, run_stages  # noqa: E402

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

SOURCE_ID = "bench"
TARGET_RATIO = 0.50
TARGET_RENORMALISE = 2.0  # re-normalising the store against B's harvest rate of the same records
TARGET_PEER_RATIO = 1.0  # B against run P, oaipmh-scythe dumping the same replay to JSON lines (issue 20)
TARGET_RSS_MB = 300.0


def run_pipeline(url: str, expected: int, probe: tuple[int, str], batch_size: int, conn: Connection) -> None:
    """Run B: harvest_source into a fresh GKSS_HOME, then prove every record is searchable."""
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
            started, cpu = time.perf_counter(), time.process_time()
            summary = harvest_source(hub, SOURCE_ID, full=True)
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
            again, again_cpu = time.perf_counter(), time.process_time()
            renormalised = renormalise_source(hub, SOURCE_ID)
            again, again_cpu = time.perf_counter() - again, time.process_time() - again_cpu
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
            "disk_mb": disk / (1024 * 1024),
            "renormalise": {
                "status": renormalised.status,
                "unchanged": renormalised.unchanged,
                "updated": renormalised.updated,
                "seconds": again,
                "cpu": again_cpu,
            },
            "rss_mb": peak_rss_mb(),
            "expected": expected,
        }
    )


class RssSampler:
    """Polls /proc/PID/status of a child for the peaks of its RSS parts (anonymous, file, shmem).

    VmHWM says how high the resident set went; these say what it was made of: file-backed and
    shared pages (mmap of SQLite files, the WAL index) are counted in RSS but are reclaimable.
    Whenever RssFile reaches a new peak (by 8 MB or more), /proc/PID/smaps is read for the
    largest file mappings, so the report can name the files behind it.
    """

    FIELDS = ("RssAnon", "RssFile", "RssShmem")

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.proc = Path(f"/proc/{pid}")
        self.interval = interval
        self.peaks = dict.fromkeys(self.FIELDS, 0.0)
        self.files: list[tuple[float, str]] = []
        self._files_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                lines = (self.proc / "status").read_text().splitlines()
                for line in lines:
                    name, _, value = line.partition(":")
                    if name in self.peaks:
                        self.peaks[name] = max(self.peaks[name], int(value.split()[0]) / 1024)
                if self.peaks["RssFile"] >= self._files_at + 8:
                    self._files_at = self.peaks["RssFile"]
                    self.files = self._largest_files()
            except (OSError, ValueError, IndexError):
                return
            self._stop.wait(self.interval)

    def _largest_files(self) -> list[tuple[float, str]]:
        sizes: dict[str, float] = {}
        path = ""
        for line in (self.proc / "smaps").read_text().splitlines():
            fields = line.split()
            if fields and "-" in fields[0] and len(fields) >= 5 and not fields[0].endswith(":"):
                path = fields[5] if len(fields) > 5 and fields[5].startswith("/") else ""
            elif path and fields[:1] == ["Rss:"]:
                sizes[path] = sizes.get(path, 0.0) + int(fields[1]) / 1024
        return sorted(((mb, name) for name, mb in sizes.items()), reverse=True)[:3]

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        out: dict[str, Any] = {f"peak_{name}": value for name, value in self.peaks.items()}
        out["file_mappings"] = self.files
        return out


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    """Run ``target(*args, conn)`` in a fresh spawned interpreter and return what it sends, with
    ``server_cpu``: this process's CPU seconds meanwhile (the replay server's threads, the sampler)."""
    server_cpu = time.process_time()
    context = mp.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(*args, sender), name=target.__name__)
    process.start()
    sender.close()
    sampler = RssSampler(process.pid) if process.pid is not None else None
    try:
        result: dict[str, Any] = receiver.recv()
    except EOFError:
        result = {"crashed": True}
    if sampler is not None:
        result.update(sampler.stop())
    process.join()
    result["server_cpu"] = time.process_time() - server_cpu
    if process.exitcode:
        result["crashed"] = True
        result["exitcode"] = process.exitcode
    return result


# -- report -------------------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _pipeline_ok(result: dict[str, Any]) -> bool:
    n = result.get("expected")
    return (
        not result.get("crashed")
        and result.get("status") == "succeeded"
        and result.get("indexed") == n
        and result.get("stored") == n
        and result.get("text_total") == n
        and bool(result.get("probe_found"))
    )


def report(
    n: int,
    page_size: int,
    a: dict[str, Any],
    b_quarter: dict[str, Any],
    b: dict[str, Any],
    f: dict[str, Any],
    g: dict[str, Any],
    p: dict[str, Any],
) -> None:
    def rate(result: dict[str, Any], count: int) -> float:
        seconds = float(result.get("seconds") or 0.0)
        return count / seconds if seconds > 0 and not result.get("crashed") else 0.0

    a_rate = rate(a, int(a.get("records", 0)))
    b_rate = rate(b, n)
    q_rate = rate(b_quarter, n // 4)
    ratio = b_rate / a_rate if a_rate else 0.0
    p_rate = rate(p, int(p.get("records", 0)))
    rows = [
        ("P  oaipmh-scythe JSONL", p.get("records", "-"), p_rate, p),
        ("A  baseline httpx+lxml", a.get("records", "-"), a_rate, a),
        ("F  engine floor", f.get("indexed", "-"), rate(f, int(f.get("indexed", 0))), f),
        ("G  floor, 3 processes", g.get("indexed", "-"), rate(g, int(g.get("indexed", 0))), g),
        ("B  pipeline N/4", n // 4, q_rate, b_quarter),
        ("B  pipeline N", n, b_rate, b),
    ]

    def mb(value: object) -> str:
        return f"{value:.1f}" if isinstance(value, float) else "-"

    def seconds(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else "-"

    print()
    print(f"OAI-PMH harvest benchmark: N={n} records, page size {page_size}")
    print(
        f"{'run':<24}{'records':>9}{'seconds':>9}{'records/s':>11}{'CPU s':>8}{'peak RSS MB':>13}"
        f"{'of which: anon':>16}{'file':>7}{'shmem':>7}"
    )
    for name, count, per_second, result in rows:
        print(
            f"{name:<24}{count!s:>9}{seconds(result.get('seconds')):>9}{per_second:>11.0f}"
            f"{seconds(result.get('cpu')):>8}"
            f"{mb(result.get('rss_mb')):>13}{mb(result.get('peak_RssAnon')):>16}"
            f"{mb(result.get('peak_RssFile')):>7}{mb(result.get('peak_RssShmem')):>7}"
        )
    print(
        "(seconds: wall clock; CPU s: the child's own CPU time, a check on a busy machine; peak RSS: "
        "the child's VmHWM;\n anon/file/shmem: peaks of each part, sampled every 50 ms)"
    )
    print()
    for label, result in (("B N/4", b_quarter), ("B N", b)):
        if result.get("crashed"):
            print(f"{label}: the child crashed (exit code {result.get('exitcode')})")
            continue
        print(
            f"{label}: status={result['status']} added={result['added']} failed={result['failed']} "
            f"skipped={result['skipped']} stored={result['stored']} indexed={result['indexed']} "
            f"'{MARK}' matches={result['text_total']} probe found={result['probe_found']} "
            f"harvest_source {result['harvest_seconds']:.2f}s, checks "
            f"{result['seconds'] - result['harvest_seconds']:.2f}s, home {result['disk_mb']:.0f} MB"
            + (f" error={result['error']}" if result.get("error") else "")
        )
        if result.get("file_mappings"):
            mappings = ", ".join(f"{Path(name).name} {mb:.0f} MB" for mb, name in result["file_mappings"])
            print(f"  largest file mappings at the RssFile peak: {mappings}")
    if a.get("records") != n:
        print(f"A: read {a.get('records')} records, expected {n}")
    rss_n, rss_q = b.get("rss_mb"), b_quarter.get("rss_mb")
    print()
    print(f"all N searchable (count, text query, probe)   {_verdict(_pipeline_ok(b))}")
    if p.get("records") != n or p.get("lines") != n:
        print(f"P: read {p.get('records')} records, wrote {p.get('lines')} lines, expected {n}")
    peer = b_rate / p_rate if p_rate else 0.0
    verdict = _verdict(peer >= TARGET_PEER_RATIO and _pipeline_ok(b))
    print(f"B against the scythe dump: B/P = {peer:.2f} (target >= {TARGET_PEER_RATIO:.2f})    {verdict}")
    p_cpu, b_cpu = p.get("cpu"), b.get("cpu")
    if isinstance(p_cpu, float) and isinstance(b_cpu, float) and p_cpu > 0 and b_cpu > 0:
        p_records = max(1, int(p.get("records", 0)))
        print(f"  CPU per record: B {b_cpu / n * 1e6:.0f} us, P {p_cpu / p_records * 1e6:.0f} us")
    verdict = _verdict(ratio >= TARGET_RATIO and _pipeline_ok(b))  # a failed run has no throughput
    print(f"throughput ratio B/A = {ratio:.2f} (target >= {TARGET_RATIO:.2f})    {verdict}")
    f_rate = rate(f, int(f.get("indexed", 0)))
    if a_rate and f_rate:
        print(
            f"engine floor F/A = {f_rate / a_rate:.2f}: the raw-store and FTS5 writes alone, no crosswalk "
            f"(F indexed {f.get('indexed')} of {n}); B/F = {b_rate / f_rate:.2f}"
        )
    g_rate = rate(g, int(g.get("indexed", 0)))
    if a_rate and g_rate:
        g_cpu = float(g.get("cpu") or 0.0) + float(g.get("writer_cpu") or 0.0)
        print(
            f"engine floor on both cores G/A = {g_rate / a_rate:.2f} (target of B: {TARGET_RATIO:.2f}): "
            f"fetch, parse and raw bytes cut from the page in one process, the two files written by two "
            f"more (G stored {g.get('stored')}, indexed {g.get('indexed')} of {n}; "
            f"CPU {g_cpu:.2f} s in all, {g.get('writer_cpu', 0.0):.2f} s of it writing)"
        )
    again = b.get("renormalise")
    if isinstance(again, dict) and again.get("seconds") and b_rate:
        again_rate = n / again["seconds"]
        verdict = _verdict(again_rate >= TARGET_RENORMALISE * b_rate and again["status"] == "renormalised")
        print(
            f"re-normalising the store after B (gkss renormalise, no fetching): {again_rate:,.0f} records/s "
            f"= {again_rate / b_rate:.2f} x B (target >= {TARGET_RENORMALISE:.0f})    {verdict}\n"
            f"  {again['cpu'] / n * 1e6:.0f} us of CPU per record; {again['unchanged']} unchanged, "
            f"{again['updated']} updated (status {again['status']})"
        )
    _print_cpu_budget(n, a, b, g)
    writes = float(f.get("write_seconds") or 0.0)
    if a_rate and writes:
        alone = int(f.get("indexed", 0)) / writes
        print(
            f"  the floor's writes alone (raw bytes, two SQLite files): {alone:,.0f} records/s "
            f"= {alone / a_rate:.2f} of A, the bound of a pipeline whose fetching and parsing cost nothing"
        )
    a_cpu, b_cpu = a.get("cpu"), b.get("cpu")
    if isinstance(a_cpu, float) and isinstance(b_cpu, float) and a_cpu > 0 and b_cpu > 0:
        print(f"  (by CPU time: B/A = {(n / b_cpu) / (int(a.get('records', 0)) / a_cpu):.2f})")
    if isinstance(rss_n, float) and isinstance(rss_q, float):
        verdict = _verdict(max(rss_n, rss_q) < TARGET_RSS_MB)
        print(
            f"peak RSS of B: N/4 {rss_q:.1f} MB, N {rss_n:.1f} MB (target < {TARGET_RSS_MB:.0f} MB)    "
            f"{verdict}"
        )
        print(f"RSS growth N/4 -> N: {rss_n - rss_q:+.1f} MB", end="")
        anon_n, anon_q = b.get("peak_RssAnon"), b_quarter.get("peak_RssAnon")
        if isinstance(anon_n, float) and isinstance(anon_q, float):
            print(f" (anonymous memory: {anon_n - anon_q:+.1f} MB)", end="")
        print()
    else:
        print(f"peak RSS of B: not measured (a run crashed)    {_verdict(False)}")


def _print_cpu_budget(n: int, a: dict[str, Any], b: dict[str, Any], g: dict[str, Any]) -> None:
    """What the target leaves, in CPU seconds: B in twice A's time on this machine's cores, less what
    the replay server spends serving the pages (measured in run A) and the floor's own work (run G)."""
    cores = os.cpu_count() or 1
    a_seconds, server = float(a.get("seconds") or 0.0), float(a.get("server_cpu") or 0.0)
    floor = float(g.get("cpu") or 0.0) + float(g.get("writer_cpu") or 0.0)
    b_cpu = float(b.get("cpu") or 0.0)
    if not (a_seconds and floor and b_cpu) or g.get("crashed") or b.get("crashed"):
        return
    budget = cores * a_seconds / TARGET_RATIO
    left = budget - server - floor
    print(
        f"CPU budget at the target: {budget:.1f} s ({cores} cores x {a_seconds / TARGET_RATIO:.1f} s); the "
        f"server's share {server:.1f} s, the floor's work (G) {floor:.1f} s, leaving {left:.1f} s = "
        f"{left / n * 1e6:.0f} us per record for all the pipeline does beyond the floor (crosswalk, "
        f"enrichment, normalised record, facets); B spends {(b_cpu - floor) / n * 1e6:.0f} us per record "
        "beyond it"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100_000, help="N, the number of records (100000)")
    parser.add_argument("--page-size", type=int, default=500, help="records per ListRecords page (500)")
    parser.add_argument("--batch-size", type=int, default=500, help="the hub's GKSS_BATCH_SIZE (500)")
    parser.add_argument(
        "--stage-records", type=int, default=20_000, help="records run S times stage by stage (20000)"
    )
    parser.add_argument(
        "--only", choices=("stages", "peer"), help="only S (stage costs), or only S, P and B (the peer ratio)"
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
        print(f"run S (stage costs, {min(n, options.stage_records)} records) ...", flush=True)
        s = in_child(run_stages, server.url, min(n, options.stage_records), options.batch_size)
        print_stages(s)
        if options.only == "stages":
            return 0
        print("run P (oaipmh-scythe to JSON lines) ...", flush=True)
        p = in_child(run_scythe_dump, server.url)
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
    report(n, options.page_size, a, b_quarter, b, f, g, p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
