"""On-demand benchmark: the peak memory of harvesting one very large feed.

Not collected by pytest. Run it from the repository::

    python tests/benchmarks/bench_feed_memory.py [--items 45000] [--formats rss,json]

Builds an RSS 2.0 document of ``--items`` items (45,000) just under the hub's 50 MB response cap
from real RSS items of /work/shared/testdata/feeds/ (each item copied with its own guid and link;
each description lengthened with real text from the same items so that the document ends just
under the cap), and a JSON Feed 1.1 document of the same items (title, link, description as
``content_text``, date), also just under the cap; serves each on 127.0.0.1 and harvests it with
``harvest_source`` into a fresh GKSS_HOME, each run in a fresh child process whose peak resident
set (VmHWM) is printed:

* run D: the source with the default ``max_entries`` (harvesters.options.MAX_ENTRIES),
* run F: ``max_entries`` = every item (the whole document stored and indexed),
* run P: the floor, the same child fetching and parsing nothing (python, the hub's imports and an
  opened hub).

Issue 14 sets the target: no single allowed response takes the harvest past 300 MB. Prints the
date and the load average: absolute figures mean nothing without them.
"""

from __future__ import annotations

import argparse
import multiprocessing
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

SHARED = Path("/work/shared/testdata/feeds")
CAP = 50 * 1024 * 1024
TARGET_RSS_MB = 300.0


def real_items() -> list[tuple[bytes, bytes]]:
    """(item XML, plain text of its description) of every RSS 2.0 item under the shared test data."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    found: list[tuple[bytes, bytes]] = []
    for path in sorted(SHARED.rglob("*.xml")):
        try:
            root = etree.parse(str(path), parser).getroot()
        except (etree.XMLSyntaxError, OSError):
            continue
        if root.tag != "rss":
            continue
        for item in root.iter("item"):
            if item.findtext("title") is None or item.findtext("link") is None:
                continue
            for old in item.findall("guid"):
                item.remove(old)
            text = " ".join((item.findtext("description") or "").split())
            xml = etree.tostring(item, encoding="UTF-8")
            try:
                etree.fromstring(xml, parser)  # standalone: no entity of the document's DTD
            except etree.XMLSyntaxError:
                continue
            found.append((xml, text.encode()))
    if not found:
        raise SystemExit(f"no RSS 2.0 items with title and link under {SHARED}")
    return found


def build_feed(n: int, cap: int) -> bytes:
    """An RSS 2.0 document of ``n`` items, just under ``cap`` bytes, cycling real items."""
    from lxml import etree

    head = b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Large</title>'
    tail = b"</channel></rss>"

    def one(i: int, pad: int) -> bytes:
        xml, text = items[i % len(items)]
        item = etree.fromstring(xml)
        link = item.find("link")
        assert link is not None
        link.text = f"{(link.text or '').strip()}#bench-{i}"
        guid = etree.SubElement(item, "guid", isPermaLink="false")
        guid.text = f"bench-{i}"
        if pad > 0:
            extra = (
                (text * (pad // max(1, len(text)) + 1))[:pad].decode(errors="ignore") if text else "x" * pad
            )
            description = item.find("description")
            if description is None:
                description = etree.SubElement(item, "description")
            description.text = f"{description.text or ''} {extra}"
        return etree.tostring(item, encoding="UTF-8")

    budget = (cap - len(head) - len(tail) - 64 * 1024) / n  # leave 64 KB below the cap
    items = [(xml, text) for xml, text in real_items() if len(xml) + 80 < budget]  # room for guid, link
    if not items:
        raise SystemExit(f"no real item is small enough for {n} items under {cap} bytes")
    plain = sum(len(one(i, 0)) for i in range(min(n, 500))) / min(n, 500)
    pad = max(0, int(budget - plain))
    body = head + b"".join(one(i, pad) for i in range(n)) + tail
    while len(body) >= cap and pad > 0:  # real items vary: trim until under the cap
        pad = int(pad * 0.98)
        body = head + b"".join(one(i, pad) for i in range(n)) + tail
    return body


def build_json_feed(n: int, cap: int) -> bytes:
    """A JSON Feed 1.1 document of ``n`` items, just under ``cap`` bytes, cycling the same real items
    (title, link, description text and date of each), each with its own id and link."""
    import json

    from lxml import etree

    fields = []
    for xml, text in real_items():
        item = etree.fromstring(xml)
        title, link = (item.findtext("title") or "").strip(), (item.findtext("link") or "").strip()
        fields.append((title, link, text.decode(errors="ignore"), (item.findtext("pubDate") or "").strip()))
    head = {"version": "https://jsonfeed.org/version/1.1", "title": "Large", "items": []}

    def document(pad: int) -> bytes:
        items = []
        for i in range(n):
            title, link, text, published = fields[i % len(fields)]
            filler = text or title or "x"
            body = text + " " + (filler * (pad // len(filler) + 1))[:pad] if pad > 0 else text
            item = {"id": f"bench-{i}", "url": f"{link}#bench-{i}", "title": title, "content_text": body}
            if published:
                item["date_published"] = published
            items.append(item)
        return json.dumps({**head, "items": items}, ensure_ascii=False).encode()

    goal = cap - 64 * 1024  # leave 64 KB below the cap
    pad, body = 0, document(0)
    for _ in range(4):  # the filler's bytes per character vary: approach the goal from below
        pad = max(0, pad + int((goal - len(body)) / n))
        body = document(pad)
    while len(body) >= cap and pad > 0:
        pad = int(pad * 0.98)
        body = document(pad)
    return body


def run_child(url: str, max_entries: int | None, conn: Connection) -> None:
    """Harvest the feed (``max_entries`` None: open the hub only, the floor) and report the peak RSS."""
    from hub.context import open_hub
    from hub.pipeline import harvest_source
    from hub.settings import Settings

    with tempfile.TemporaryDirectory(prefix="gkss-bench-feed-") as home:
        hub = open_hub(
            Settings(home=Path(home), database_url=None, search_url=None, allow_private_networks=True)
        )
        result: dict[str, Any] = {}
        try:
            if max_entries is not None:
                options = {"max_entries": max_entries} if max_entries else {}
                hub.store.add_source("large", "feed", url, options)
                started = time.perf_counter()
                summary = harvest_source(hub, "large", full=True)
                result = {
                    "status": summary.status,
                    "error": summary.error,
                    "added": summary.added,
                    "notes": summary.notes,
                    "stored": hub.store.count_records("large"),
                    "indexed": hub.index.count(),
                    "seconds": time.perf_counter() - started,
                }
        finally:
            hub.close()
    conn.send({**result, "peak_mb": peak_rss_mb()})


def in_child(url: str, max_entries: int | None) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=run_child, args=(url, max_entries, send))
    child.start()
    result: dict[str, Any] = receive.recv()
    child.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=45_000, help="items in the feed (45000)")
    parser.add_argument("--formats", default="rss,json", help="feed formats to harvest (rss,json)")
    options = parser.parse_args(argv)
    from harvesters.options import MAX_ENTRIES
    from tests.support.http_replay import ReplayServer

    builders = {
        "rss": (build_feed, "application/rss+xml"),
        "json": (build_json_feed, "application/feed+json"),
    }
    formats = [f.strip() for f in options.formats.split(",") if f.strip()]
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')} · load average {os.getloadavg()} · {os.cpu_count()} CPUs")
    ok = True
    with ReplayServer() as site:
        floor_url = ""
        for kind in formats:
            build, media = builders[kind]
            body = build(options.items, CAP)
            print(
                f"{kind} feed: {options.items} items, {len(body):,} bytes"
                f" ({len(body) / 2**20:.2f} MB; cap {CAP / 2**20:.0f} MB)"
            )
            site.route(f"/large.{kind}", body, headers={"Content-Type": media})
            del body
            url = floor_url = site.url + f"/large.{kind}"
            ok = _runs(kind, url, options.items, MAX_ENTRIES) and ok
        if floor_url:
            floor = in_child(floor_url, None)
            print(f"run P (floor: hub opened, nothing harvested): peak {floor['peak_mb']:.0f} MB")
    return 0 if ok else 1


def _runs(kind: str, url: str, items: int, default: int) -> bool:
    """Runs D and F of one feed; True when both stay under the target."""
    ok = True
    for name, limit in (("D", 0), ("F", items)):
        got = in_child(url, limit)
        label = f"{kind}, max_entries default ({default})" if limit == 0 else f"{kind}, max_entries {limit}"
        verdict = "PASS" if got["peak_mb"] < TARGET_RSS_MB and got["status"] == "succeeded" else "FAIL"
        ok = ok and verdict == "PASS"
        print(
            f"run {name} ({label}): {got['status']} added {got['added']} stored {got['stored']} "
            f"indexed {got['indexed']} in {got['seconds']:.1f} s; peak {got['peak_mb']:.0f} MB "
            f"(target < {TARGET_RSS_MB:.0f} MB): {verdict}"
        )
        for note in got["notes"]:
            print(f"    note: {note}")
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
