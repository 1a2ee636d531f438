"""On-demand benchmark: how fast a harvester can take the whole ListRecords list of the OAI-PMH provider."""

# Not collected by pytest (``tests/benchmarks`` is in ``norecursedirs``). Run it from the repository::
#
#     python tests/benchmarks/bench_oai_provider.py --records 100000 [--page-size 100 500] [--prefix gkss]
#
# The corpus: N records made by recombining the real records of ``load_real_records()`` (the copied
# fixtures of Zenodo, MIT DSpace, EUR RePub, pyoai and sickle). They are harvested once into a scratch
# store through the real pipeline (replay server -> ``harvest_source``), which gives the template
# Resources; copy ``i`` of a template keeps everything but its native id (``<original>#bench-<i>``),
# hence its resource id, and its first title, which gets `` [gkssbench <i>]`` appended. The copies are
# written with ``Store.apply_batch`` (batches of 5,000, so changed_at repeats within a batch and the id
# breaks the ties of the (changed_at, id) order), to a fresh SQLite store under a temporary GKSS_HOME.
#
# The provider: the hub's API served by uvicorn (one worker) in a process of its own
# (``python -m tests.hub.oai.serve``), GKSS_OAI_PAGE_SIZE as given.
#
# The client, in this process: httpx (one keep-alive connection) fetches ``ListRecords`` and follows
# resumption tokens; an lxml pull parser parses every page as it streams in and reads every record's
# identifier; the run checks that exactly N distinct identifiers came. records/s = N / wall time of
# the whole list. The CPU time each side used per record is printed too, with the rate the slower
# side alone would allow ("CPU-bound ceiling"): on a shared machine the wall-time rate also
# measures the neighbours.
#
# The baseline, measured in the same run on the same store: the raw SQL keyset scan the provider makes
# (``SELECT ... WHERE (changed_at, id) > (?, ?) ORDER BY changed_at, id LIMIT page``), rows/s, without
# and with parsing each row's Resource JSON (``Resource.model_validate_json``).
#
# The benchmark measures; it always exits 0, printing PASS/MISS against the target (>= 10,000 records/s).

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests``, ``hub`` ... importable
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from lxml import etree  # noqa: E402
from sqlalchemy import select, tuple_  # noqa: E402

from harvesters.records import RawRecord  # noqa: E402
from hub.context import Hub, open_hub  # noqa: E402
from hub.pipeline import harvest_source  # noqa: E402
from hub.settings import Settings  # noqa: E402
from hub.store.models import RecordRow  # noqa: E402
from hub.store.store import NormalisedItem  # noqa: E402
from normalizers.resource import Resource, resource_id  # noqa: E402
from tests.support.oai_replay import OaiReplayServer, load_real_records  # noqa: E402

OAI = "{http://www.openarchives.org/OAI/2.0/}"
SOURCE = "bench"
TARGET = 10_000.0
BATCH = 5_000


def templates(home: Path) -> list[Resource]:
    """The Resources of the real records, through the real harvest pipeline."""
    hub = open_hub(Settings(home=home, allow_private_networks=True))  # the replay server is on loopback
    try:
        with OaiReplayServer(load_real_records(), page_size=50) as server:
            hub.store.add_source("real", "oai-pmh", server.url, {})
            summary = harvest_source(hub, "real")
            assert summary.status == "succeeded", summary.error
        resources = [r for batch in hub.store.iter_resources("real") for r in batch]
    finally:
        hub.close()
    assert resources, "no real records were harvested"
    return resources


def fill(hub: Hub, bases: list[Resource], n: int) -> None:
    hub.store.add_source(SOURCE, "oai-pmh", "http://127.0.0.1/unused", {})
    run = hub.store.start_run(SOURCE, True, None)
    now = datetime.now(UTC)
    for start in range(0, n, BATCH):
        items = []
        for i in range(start, min(n, start + BATCH)):
            base = bases[i % len(bases)]
            native = f"{base.native_id}#bench-{i}"
            title = dict(base.title)
            first = next(iter(title), "und")
            title[first] = f"{title.get(first, '')} [gkssbench {i}]"
            resource = base.model_copy(
                update={
                    "id": resource_id(SOURCE, native),
                    "source": SOURCE,
                    "native_id": native,
                    "title": title,
                    "provenance": base.provenance.model_copy(update={"source": SOURCE, "native_id": native}),
                }
            )
            raw = RawRecord(SOURCE, native, "application/xml", b"<record/>", now)
            items.append(NormalisedItem(raw, resource))
        hub.store.apply_batch(SOURCE, run.id, items)
    hub.store.finish_run(run.id, status="succeeded")


def baseline(hub: Hub, page: int, parse: bool) -> float:
    """rows/s of the provider's keyset scan over the whole records table (wall time)."""
    columns = (RecordRow.id, RecordRow.source_id, RecordRow.changed_at, RecordRow.resource)
    started = time.perf_counter()
    total = 0
    key = None
    with hub.store.session() as session:
        while True:
            query = select(*columns).order_by(RecordRow.changed_at, RecordRow.id).limit(page)
            if key is not None:
                query = query.where(tuple_(RecordRow.changed_at, RecordRow.id) > key)
            rows = session.execute(query).all()
            if parse:
                for row in rows:
                    Resource.model_validate_json(row.resource)
            total += len(rows)
            if len(rows) < page:
                break
            key = (rows[-1].changed_at, rows[-1].id)
    return total / (time.perf_counter() - started)


def serve(home: Path, page_size: int) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GKSS_")}
    # the harvester is the only client and measures the provider: no per-client rate limit
    env.update(GKSS_HOME=str(home), GKSS_OAI_PAGE_SIZE=str(page_size), GKSS_API_RATE="0")
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.hub.oai.serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    url = f"http://127.0.0.1:{int(process.stdout.readline())}/oai"
    for _ in range(600):
        try:
            httpx.get(url, params={"verb": "Identify"}, timeout=2)
            return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the provider did not start")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def harvest(url: str, prefix: str, n: int) -> tuple[float, int, float]:
    """records/s of a full ListRecords harvest, the requests it took, and the client's CPU seconds.

    Each page is parsed while it streams in (an lxml pull parser fed chunk by chunk), as a
    streaming harvester does, so the client's parsing overlaps the provider's writing.
    """
    seen: set[str] = set()
    requests = 0
    started = time.perf_counter()
    cpu = time.process_time()
    with httpx.Client(timeout=120) as client:
        params = {"verb": "ListRecords", "metadataPrefix": prefix}
        while True:
            parser = etree.XMLPullParser(
                events=("end",), resolve_entities=False, no_network=True, huge_tree=True
            )
            token: str | None = None
            errors: list[str] = []
            with client.stream("GET", url, params=params) as response:
                requests += 1
                for chunk in response.iter_bytes():
                    parser.feed(chunk)
                    for _, element in parser.read_events():
                        if element.tag == OAI + "header":
                            seen.add(str(element.findtext(OAI + "identifier")))
                        elif element.tag == OAI + "record":
                            element.clear()
                        elif element.tag == OAI + "resumptionToken":
                            token = element.text
                        elif element.tag == OAI + "error":
                            errors.append(f"{element.get('code')}: {element.text}")
            parser.close()
            if errors:
                raise SystemExit(f"error reply: {errors}")
            if not token:
                break
            params = {"verb": "ListRecords", "resumptionToken": token}
    elapsed = time.perf_counter() - started
    if len(seen) != n:
        raise SystemExit(f"harvested {len(seen)} distinct records, stored {n}")
    return n / elapsed, requests, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--prefix", nargs="+", default=["oai_dc", "gkss"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gkss-bench-oai-") as scratch:
        bases = templates(Path(scratch) / "templates")
        home = Path(scratch) / "gkss"
        hub = open_hub(Settings(home=home))
        started = time.perf_counter()
        fill(hub, bases, args.records)
        print(f"corpus: {args.records} records from {len(bases)} real templates, "
              f"stored in {time.perf_counter() - started:.1f} s")  # fmt: skip
        for page in args.page_size:
            print(f"baseline page {page}: keyset scan {baseline(hub, page, False):,.0f} rows/s, "
                  f"with Resource parsing {baseline(hub, page, True):,.0f} rows/s")  # fmt: skip
        hub.close()
        for page in args.page_size:
            process, url = serve(home, page)
            try:
                for prefix in args.prefix:
                    before = cpu_seconds(process.pid)
                    rate, requests, client_cpu = harvest(url, prefix, args.records)
                    server_cpu = cpu_seconds(process.pid) - before
                    verdict = "PASS" if rate >= TARGET else "MISS"
                    per_server = server_cpu / args.records * 1e6
                    per_client = client_cpu / args.records * 1e6
                    ceiling = args.records / max(server_cpu, client_cpu)
                    print(f"provider page {page} {prefix}: {rate:,.0f} records/s over {requests} requests "
                          f"[{verdict} >= {TARGET:,.0f}]; CPU per record: server {per_server:.0f} us, "
                          f"client {per_client:.0f} us (CPU-bound ceiling {ceiling:,.0f} rec/s)")  # fmt: skip
            finally:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    main()
