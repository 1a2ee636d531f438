"""The served half of bench_search.py: ``gkss serve`` on the benchmark index, driven by ``wrk``.

wrk (the Debian package, /usr/bin/wrk) runs a Lua script that rotates through the query mix as
/api/search paths (each wrk thread starting at its own place in the list), then the same server's
``/livez`` (no work: the HTTP stack's floor), at 1, 8 and 32 connections (two wrk threads), then at 32
connections with one wrk thread.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import httpx

from hub.search.base import SearchQuery
from tests.benchmarks.search_corpus import http_params
from tests.support.hubs import HubProcess

CONNECTIONS = (1, 8, 32)
# (connections, wrk threads): two threads as before, and at 32 connections also one, which leaves the
# other core to the server (with two, wrk's threads wait for a CPU on a 2-core machine; docs/search.md)
RUNS = (*((c, 2) for c in CONNECTIONS), (32, 1))
SECONDS = 10
LUA = """
local paths = {}
for line in io.lines(os.getenv("GKSS_WRK_PATHS")) do paths[#paths + 1] = line end
local threads = 0
function setup(thread)
  thread:set("first", threads * 7919)
  threads = threads + 1
end
function init(args)
  position = first or 0
end
function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "GKSS {\\"requests\\": %d, \\"seconds\\": %f, \\"p50_ms\\": %f, \\"p99_ms\\": %f, \\"errors\\": %d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def wrk(url: str, paths: Path, script: Path, connections: int, threads: int = 2) -> dict[str, float]:
    """One wrk run (``threads`` threads, at most one per connection); its figures."""
    threads = min(threads, connections)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{SECONDS}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        env={"GKSS_WRK_PATHS": str(paths), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = re.search(r"^GKSS (\{.*\})$", done.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk gave no figures:\n{done.stdout}\n{done.stderr}")
    figures = dict(json.loads(found.group(1)))
    figures["rate"] = figures["requests"] / figures["seconds"]
    return figures


def cache_counts(url: str) -> tuple[int, int]:
    """The served hub's answer cache hits and misses so far."""
    kept = httpx.get(url + "/healthz", timeout=10).json()["search_cache"]
    return int(kept["hits"]), int(kept["misses"])


def served(
    index_directory: Path,
    rotations: dict[int, list[tuple[str, SearchQuery]]],
    warm: list[tuple[str, SearchQuery]],
) -> None:
    """Serve the index and print /api/search beside /livez at each number of connections, each run
    rotating its own queries (``rotations``: another draw of the mix per number of connections, so no
    run finds the answers of the run before in the cache, beyond the queries the draws share). ``warm``
    (yet another draw) warms the server first."""
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk): served figures skipped")
        return
    with tempfile.TemporaryDirectory() as home:
        work = Path(home)
        livez, script = work / "livez.txt", work / "rotate.lua"
        warming = work / "warm.txt"
        warming.write_text("".join(f"/api/search?{urlencode(http_params(q))}\n" for _, q in warm))
        livez.write_text("/livez\n")
        script.write_text(LUA)
        settings = {"search_url": f"tantivy:///{index_directory}", "access_log": "0"}
        with HubProcess(work / "hub", "bench", **settings) as hub:
            hub.serve()
            wrk(hub.url, warming, script, 8)  # warm: file cache, first searches
            print(
                f"\nserved ({SECONDS} s per run, wrk rotating queries of the mix, through the answer cache "
                "as served: a repeated query string is answered from it)"
            )
            for connections, threads in RUNS:
                queries = rotations[connections if threads == 2 else -connections]
                paths = work / f"paths-{connections}-{threads}.txt"
                paths.write_text("".join(f"/api/search?{urlencode(http_params(q))}\n" for _, q in queries))
                distinct = len({urlencode(http_params(q)) for _, q in queries})
                print(f"  rotation: {len(queries)} queries, {distinct} distinct; wrk threads: {threads}")
                hits, misses = cache_counts(hub.url)
                search = wrk(hub.url, paths, script, connections, threads)
                more_hits, more_misses = cache_counts(hub.url)
                floor = wrk(hub.url, livez, script, connections, threads)
                rate = (more_hits - hits) / max(1, more_hits - hits + more_misses - misses)
                share, spread = search["rate"] / floor["rate"], search["p99_ms"] / search["p50_ms"]
                print(
                    f"  {connections:>2} connections: /api/search {search['rate']:.0f}/s p50 "
                    f"{search['p50_ms']:.1f} ms p99 {search['p99_ms']:.1f} ms "
                    f"errors {search['errors']:.0f}, answer cache hits {100 * rate:.0f}% | "
                    f"/livez {floor['rate']:.0f}/s p50 {floor['p50_ms']:.2f} ms p99 {floor['p99_ms']:.2f} ms"
                )
                if connections == 32:
                    verdict = "PASS" if share >= 0.4 and spread <= 4 else "MISS"
                    print(
                        f"     {verdict} throughput x{share:.2f} of /livez (>= 0.4), "
                        f"p99/p50 x{spread:.1f} (<= 4), {threads} wrk thread(s)"
                    )
