"""On-demand benchmark: feed harvesting against feedparser parsing the same bytes alone (issue 20).

Not collected by pytest. Run it from the repository::

    python tests/benchmarks/bench_feeds.py [--entries 50000]

The corpus: every real RSS/Atom feed of the shared test data (``real-world_feed-rs``,
``real-world_feedjira``, ``crawler-commons-rss``, ``scrapy-samples``, ``trafilatura``) in which
feedparser finds at least one entry (JSON Feeds are left out: feedparser does not read them). The
feeds are served from memory on 127.0.0.1 by the test suite's ``ReplayServer``, each at its own
path; the corpus is repeated in rounds until it holds at least ``--entries`` entries, each round's
copy of a feed being a source of its own (``/f/<feed>?round=<k>``), as a hub harvesting many feeds.

* Run R, the peer: ``feedparser.parse`` over the same bytes, in memory, round after round (no HTTP,
  nothing kept): entries per second. Every round is the same bytes, so R parses ``--floor-rounds``
  rounds (10; 0: as many as H) and its rate stands for all: the floor should not be most of the
  benchmark's time. R runs before H and again after it; the faster of the two stands as R (on a
  shared machine the load changes during H).
* Run H, the hub: a fresh GKSS_HOME, every source added, all harvested as ``gkss harvest --all``
  does (``hub.pipeline.group.harvest_sources``: one run per source, fetch under the HTTP policy,
  feedparser, the feed crosswalk, enrichment, store; the runs' index writes in shared commits),
  then the index is counted and searched: entries per second, harvest to searchable. ``--single``:
  ``harvest_source`` for each source alone instead (one index commit per run). Then every source
  is polled again the same way (the same bytes, so every entry is unchanged: a hub's usual poll).

Exact counts: the records stored and indexed must equal the entries the parent counted in
feedparser's own output by the hub's documented rule (an entry's id, else its link, else its title
and summary; one record per distinct key in a feed; an entry with neither a title nor an http(s)
link is skipped). The target: H at least 0.5 of R's rate.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.harvest_floors import peak_rss_mb  # noqa: E402

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

# shared/ beside the repository (a clone), or beside its parent folder (a git worktree in wt/)
_CANDIDATES = [up / "shared" / "testdata" / "feeds" for up in (ROOT.parent, ROOT.parent.parent)]
FEEDS = next((path for path in _CANDIDATES if path.is_dir()), _CANDIDATES[0])
REAL = ("real-world_feed-rs", "real-world_feedjira", "crawler-commons-rss", "scrapy-samples", "trafilatura")
TARGET_RATIO = 0.5


def load_feeds(root: Path) -> list[tuple[str, bytes, int, int]]:
    """(name, bytes, feedparser's entries, records the hub keeps) of every real feed with entries."""
    import feedparser

    out: list[tuple[str, bytes, int, int]] = []
    for folder in REAL:
        for path in sorted((root / folder).rglob("*")):
            if not path.is_file():
                continue
            body = path.read_bytes()
            if body.lstrip()[:1] == b"{":
                continue
            entries = feedparser.parse(io.BytesIO(body)).entries
            if entries:
                out.append(
                    (f"{folder}/{path.relative_to(root / folder)}", body, len(entries), _kept(entries))
                )
    return out


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _kept(entries: list[Any]) -> int:
    """Distinct keys among the entries with a title or an http(s) link (the hub's rule, restated)."""
    keys: set[str] = set()
    for entry in entries:
        title, link = _text(entry.get("title")), _text(entry.get("link"))
        if not title and not link.lower().startswith(("http://", "https://")):
            continue
        key = _text(entry.get("id")) or link
        if not key and title:
            key = hashlib.sha256(f"{title}\n{_text(entry.get('summary'))}".encode()).hexdigest()
        if key:
            keys.add(key)
    return len(keys)


def run_feedparser(bodies: list[bytes], rounds: int, conn: Connection) -> None:
    """Run R: feedparser alone over the same bytes, ``rounds`` times."""
    import feedparser

    entries = 0
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(rounds):
        for body in bodies:
            entries += len(feedparser.parse(io.BytesIO(body)).entries)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    conn.send({"entries": entries, "seconds": seconds, "cpu": cpu, "rss_mb": peak_rss_mb()})


def run_hub(base: str, feeds: int, rounds: int, single: bool, conn: Connection) -> None:
    """Run H: every (feed, round) a source of a fresh hub, each harvested, then counted and searched."""
    from hub.context import open_hub
    from hub.pipeline import harvest_source
    from hub.pipeline.group import harvest_sources
    from hub.search.base import SearchQuery
    from hub.settings import Settings

    def harvest_all(hub: Any, sources: list[str]) -> list[Any]:
        if single:
            return [harvest_source(hub, source) for source in sources]
        return harvest_sources(hub, sources)

    with tempfile.TemporaryDirectory(prefix="gkss-feeds-") as home:
        hub = open_hub(
            Settings(home=Path(home), database_url=None, search_url=None, allow_private_networks=True)
        )
        try:
            sources = [f"f{i}-r{k}" for k in range(rounds) for i in range(feeds)]
            for source in sources:
                i, k = source[1:].split("-r")
                hub.store.add_source(source, "feed", f"{base}/f/{i}?round={k}", {})
            added = failed = skipped = 0
            statuses: dict[str, int] = {}
            started, cpu = time.perf_counter(), _cpu()
            for summary in harvest_all(hub, sources):
                added += summary.added
                failed += summary.failed
                skipped += summary.skipped
                statuses[summary.status] = statuses.get(summary.status, 0) + 1
            indexed = hub.index.count()
            total = hub.index.search(SearchQuery(text="", size=1, facets=False)).total
            seconds, cpu = time.perf_counter() - started, _cpu() - cpu
            stored = hub.store.count_records()
            again, again_cpu = time.perf_counter(), _cpu()
            unchanged = sum(summary.unchanged for summary in harvest_all(hub, sources))
            again, again_cpu = time.perf_counter() - again, _cpu() - again_cpu
        finally:
            hub.close()
    conn.send(
        {
            "added": added,
            "failed": failed,
            "skipped": skipped,
            "statuses": statuses,
            "stored": stored,
            "indexed": indexed,
            "search_total": total,
            "seconds": seconds,
            "cpu": cpu,
            "rss_mb": peak_rss_mb(),
            "again": {"unchanged": unchanged, "seconds": again, "cpu": again_cpu},
        }
    )


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the helper processes of a group)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    context = mp.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(*args, sender), name=target.__name__)
    process.start()
    sender.close()
    try:
        result: dict[str, Any] = receiver.recv()
    except EOFError:
        result = {"crashed": True}
    process.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--entries", type=int, default=50_000, help="at least this many entries (50000)")
    parser.add_argument("--feeds", type=Path, default=FEEDS, help="the shared feeds folder")
    parser.add_argument(
        "--floor-rounds", type=int, default=10, help="rounds run R parses (10; 0: as many as H)"
    )
    parser.add_argument("--single", action="store_true", help="H: harvest_source for each source alone")
    options = parser.parse_args(argv)
    from tests.support.http_replay import ReplayServer

    feeds = load_feeds(options.feeds)
    per_round = sum(entries for _, _, entries, _ in feeds)
    kept = sum(k for *_, k in feeds)
    rounds = max(1, -(-options.entries // per_round))
    print(
        f"{len(feeds)} real feeds, {per_round} entries ({kept} records kept by the hub's rule) a round; "
        f"{rounds} rounds = {per_round * rounds} entries, {len(feeds) * rounds} sources"
    )
    with ReplayServer() as server:
        for i, (_, body, _, _) in enumerate(feeds):
            server.route(f"/f/{i}", body, headers={"Content-Type": "application/xml"})
        floor_rounds = min(rounds, options.floor_rounds) if options.floor_rounds > 0 else rounds
        print(f"{_when()}  run R (feedparser alone, {floor_rounds} rounds) ...", flush=True)
        r = in_child(run_feedparser, [body for _, body, _, _ in feeds], floor_rounds)
        print(
            f"{_when()}  run H (the hub{', one source at a time' if options.single else ''}) ...", flush=True
        )
        h = in_child(run_hub, server.url, len(feeds), rounds, options.single)
        print(f"{_when()}  run R again (after H: the load may have changed) ...", flush=True)
        after = in_child(run_feedparser, [body for _, body, _, _ in feeds], floor_rounds)
        print(f"{_when()}  done", flush=True)
    if not after.get("crashed") and not r.get("crashed"):
        print(
            f"R before H: {r['entries'] / r['seconds']:,.0f} entries/s; after H: "
            f"{after['entries'] / after['seconds']:,.0f} entries/s; the faster stands as R"
        )
        if after["entries"] / after["seconds"] > r["entries"] / r["seconds"]:
            r = after
    report(per_round * rounds, kept * rounds, r, h, per_round * floor_rounds)
    return 0


def _when() -> str:
    """The UTC time and the machine's load (figures mean nothing without them)."""
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load {load}"


def report(entries: int, expected: int, r: dict[str, Any], h: dict[str, Any], floor: int) -> None:
    if r.get("crashed") or h.get("crashed"):
        print(f"a run crashed: R {r}, H {h}")
        return
    r_rate, h_rate = r["entries"] / r["seconds"], entries / h["seconds"]
    print()
    print(
        f"{'run':<26}{'entries':>9}{'seconds':>9}{'entries/s':>11}{'CPU s':>8}{'CPU us/entry':>14}"
        f"{'peak RSS MB':>13}"
    )
    for name, count, result, rate in (
        ("R  feedparser alone", r["entries"], r, r_rate),
        ("H  gkss harvest", entries, h, h_rate),
    ):
        print(
            f"{name:<26}{count:>9}{result['seconds']:>9.2f}{rate:>11.0f}{result['cpu']:>8.2f}"
            f"{result['cpu'] / count * 1e6:>14.0f}{result['rss_mb']:>13.1f}"
        )
    exact = h["stored"] == h["indexed"] == h["search_total"] == expected
    print(
        f"H: runs {h['statuses']}, added {h['added']}, failed {h['failed']}, skipped {h['skipped']}, "
        f"stored {h['stored']}, indexed {h['indexed']}, searchable {h['search_total']}; expected {expected} "
        f"of {entries} entries    {'PASS' if exact else 'MISS'}"
    )
    if r["entries"] != floor:
        print(f"R: parsed {r['entries']} entries, expected {floor}")
    ratio = h_rate / r_rate
    verdict = "PASS" if ratio >= TARGET_RATIO and exact else "MISS"
    print(f"H/R = {ratio:.2f} (target >= {TARGET_RATIO:.2f})    {verdict}")
    print(f"  by CPU time: H/R = {(r['cpu'] / r['entries']) / (h['cpu'] / entries):.2f}")
    again = h["again"]
    print(
        f"H again (every source polled again, the same bytes): {entries / again['seconds']:,.0f} entries/s "
        f"= {entries / again['seconds'] / r_rate:.2f} of R, {again['cpu'] / entries * 1e6:.0f} us of CPU per "
        f"entry; {again['unchanged']} unchanged of {expected}"
    )


if __name__ == "__main__":
    sys.exit(main())
