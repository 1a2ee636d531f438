"""The harvest benchmark's stage costs and its peer: CPU microseconds per record for each stage of the
hub's OAI-PMH pipeline (run S), and oaipmh-scythe dumping the same replay to JSON lines (run P).

Run S calls the pipeline's own parts one stage at a time over the same replay, in one thread, so the
CPU time of each stage (``time.process_time``) is its own: fetch (the hub's HTTP client under its
policy), parse (the strict lxml parse and the harvester's reading of each record), crosswalk
(oai_dc to a Resource), enrichment (GBF targets and goals, languages, regions), validation (pydantic
checking one Resource as a model built from untrusted values would be checked), store (a batch of
raw and normalised rows in one transaction) and index (the same batch into the search index, then a
refresh). CPU time per record is less sensitive to a shared machine's load than wall time.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.benchmarks.harvest_floors import peak_rss_mb

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

STAGES = ("fetch", "parse", "crosswalk", "enrichment", "validation", "store", "index")


def run_scythe_dump(url: str, conn: Connection) -> None:
    """Run P: what a user writes instead of the hub: oaipmh-scythe's ``list_records`` over the whole
    list, each record written as one JSON line ``{"id", "metadata"}`` (``Record.metadata``)."""
    from oaipmh_scythe import Scythe

    records = 0
    with tempfile.TemporaryDirectory(prefix="gkss-scythe-") as home:
        path = Path(home) / "records.jsonl"
        started, cpu = time.perf_counter(), time.process_time()
        with Scythe(url, timeout=60) as scythe, path.open("w", encoding="utf-8") as out:
            for record in scythe.list_records(metadata_prefix="oai_dc"):
                out.write(json.dumps({"id": record.header.identifier, "metadata": record.metadata}) + "\n")
                records += 1
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        lines = sum(1 for _ in path.open(encoding="utf-8"))
    conn.send({"records": records, "lines": lines, "seconds": seconds, "cpu": cpu, "rss_mb": peak_rss_mb()})


class _Clock:
    """CPU seconds per named stage."""

    def __init__(self) -> None:
        self.cpu = dict.fromkeys(STAGES, 0.0)

    def time(self, stage: str, work: Callable[[], Any]) -> Any:
        began = time.process_time()
        try:
            return work()
        finally:
            self.cpu[stage] += time.process_time() - began


def run_stages(url: str, limit: int, batch_size: int, conn: Connection) -> None:
    """Run S: the pipeline's stages one at a time over the first ``limit`` records of the replay."""
    from hub.context import open_hub
    from hub.pipeline import source_spec
    from hub.pipeline.writer import INDEX_BATCH, PendingSink
    from hub.settings import Settings
    from hub.store.store import NormalisedItem
    from registry.sources import registered_source

    with tempfile.TemporaryDirectory(prefix="gkss-stages-") as home:
        settings = Settings(
            home=Path(home),
            database_url=None,
            search_url=None,
            batch_size=batch_size,
            allow_private_networks=True,
        )
        hub = open_hub(settings)
        try:
            hub.store.add_source("bench", "oai-pmh", url, {})
            run = hub.store.start_run("bench", True, None)
            spec = source_spec(settings, registered_source("bench", "oai-pmh", url))
            clock = _Clock()
            records = 0
            pending: list[Any] = []
            send = hub.index.add_pending if isinstance(hub.index, PendingSink) else hub.index.add
            for raws in _pages(spec, settings, clock, limit):
                items: list[NormalisedItem] = []
                for raw in raws:
                    resource = _normalise(raw, clock)
                    items.append(NormalisedItem(raw, resource))
                records += len(raws)
                for start in range(0, len(items), batch_size):
                    batch = items[start : start + batch_size]
                    result = clock.time("store", lambda b=batch: hub.store.apply_batch("bench", run.id, b))
                    pending.extend(result.to_index)
                    if len(pending) >= INDEX_BATCH:  # as the run's writer gives the index its records
                        clock.time("index", lambda p=pending: send(p))
                        pending = []
            clock.time("index", lambda p=pending: send(p))
            clock.time("index", hub.index.refresh)  # commits what is pending
            indexed = hub.index.count()
        finally:
            hub.close()
    conn.send({"records": records, "indexed": indexed, "cpu": clock.cpu, "rss_mb": peak_rss_mb()})


def _pages(spec: Any, settings: Any, clock: _Clock, limit: int) -> Any:
    """Each page's RawRecords, fetched and parsed by the hub's harvester parts, timed apart."""
    from harvesters.http import fetch_once, make_client
    from harvesters.oaipmh import OaiPmhHarvester, _oai_root

    policy = settings.http_policy()
    harvester = OaiPmhHarvester(spec, policy)
    seen: set[str] = set()
    query = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
    count = 0
    with make_client(policy) as client:
        while count < limit:
            response = clock.time(
                "fetch", lambda q=query: fetch_once(client, policy, "GET", spec.url, params=q)
            )

            def parse(content: bytes = response.content) -> tuple[list[Any], str]:
                root = _oai_root(content, spec.url, 200)
                reading = harvester._read_page(root, spec.url, seen)
                raws: list[Any] = []
                try:
                    while True:
                        raws.append(next(reading))
                except StopIteration as stop:
                    token: str = stop.value[0]
                return raws, token

            raws, token = clock.time("parse", parse)
            count += len(raws)
            yield raws
            if not token:
                return
            query = {"verb": "ListRecords", "resumptionToken": token}


def _normalise(raw: Any, clock: _Clock) -> Any:
    """Crosswalk, enrichment and (measured apart) the pydantic validation of the crosswalk's Resource."""
    from normalizers.dispatch import crosswalk_for
    from normalizers.enrichment import enrich_network
    from normalizers.resource import Resource

    crosswalk = crosswalk_for(raw.content_type)
    resource = clock.time("crosswalk", lambda: crosswalk(raw, "oai-pmh"))
    fields = {name: getattr(resource, name) for name in Resource.model_fields}
    fields["provenance"] = resource.provenance.model_dump()
    clock.time("validation", lambda: Resource.model_validate(fields))
    return clock.time("enrichment", lambda: enrich_network(resource))


def print_stages(result: dict[str, Any]) -> None:
    """The stage table of run S: CPU us per record and each stage's share of the pipeline's stages.

    Validation is measured apart: pydantic checking the crosswalk's Resource as if its values came
    from outside. A crosswalk that builds its Resource with validation has that cost inside its own
    figure too; one that builds it from values it has checked itself does not pay it."""
    records = int(result.get("records") or 0)
    if not records or result.get("crashed"):
        print("run S (stage costs): crashed")
        return
    cpu: dict[str, float] = result["cpu"]
    total = sum(cpu.values()) - cpu["validation"]
    print(f"stage costs (run S, one thread, {records} records, indexed {result.get('indexed')}):")
    print(f"  {'stage':<12}{'CPU us/record':>14}{'share':>8}")
    for stage in STAGES:
        if stage == "validation":
            print(f"  {stage:<12}{cpu[stage] / records * 1e6:>14.1f}{'':>8}   (measured apart, see above)")
            continue
        print(f"  {stage:<12}{cpu[stage] / records * 1e6:>14.1f}{cpu[stage] / total:>8.0%}")
    print(f"  {'all stages':<12}{total / records * 1e6:>14.1f}")
