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

Peak memory is each child's VmHWM (``/proc/self/status``, the high-water mark of its own address
space, read just before it exits; ``getrusage(RUSAGE_SELF)`` where there is no /proc). The parent
also samples the child's ``/proc/PID/status`` every 50 ms for the peaks of RssAnon, RssFile and
RssShmem, to tell heap growth from file pages SQLite maps (``PRAGMA mmap_size``), which count in
RSS but are reclaimable.

The benchmark measures; it always exits 0, printing PASS/MISS against the targets
(B/A >= 0.50, peak RSS of B < 300 MB).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make ``tests``, ``hub`` ... importable (also in children)
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    import sqlite3
    from multiprocessing.connection import Connection

    from tests.support.oai_replay import CannedReply

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI = "{" + OAI_NS + "}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"
START = datetime(2024, 1, 1, tzinfo=UTC)
MARK = "gkssbench"
SOURCE_ID = "bench"
TARGET_RATIO = 0.50
TARGET_RSS_MB = 300.0
_SERIAL = b"@@SERIAL@@"
_STAMP = b"@@STAMP@@"
_TOKEN = re.compile(r"^bench-(\d+)-(\d+)-(\d+)$")


# -- the corpus ---------------------------------------------------------------------------------------


def _templates() -> list[bytes]:
    """One ``<record>`` template per usable real record, with placeholders for serial and datestamp."""
    from lxml import etree

    from tests.support.oai_replay import load_real_records

    out: list[bytes] = []
    for record in load_real_records():
        if record.deleted or record.metadata is None or record.identifier is None or record.raw:
            continue
        dc = etree.fromstring(record.metadata)
        title = dc.find(DC + "title")
        if title is None:
            title = etree.SubElement(dc, DC + "title")
        title.text = f"{title.text or ''} [{MARK} {_SERIAL.decode()}]"
        metadata = etree.tostring(dc, encoding="UTF-8", xml_declaration=False, with_tail=False)
        sets = "".join(f"<setSpec>{escape(s)}</setSpec>" for s in record.sets)
        head = (
            f"<record><header><identifier>{escape(record.identifier)}:bench-{_SERIAL.decode()}</identifier>"
            f"<datestamp>{_STAMP.decode()}</datestamp>{sets}</header><metadata>"
        ).encode()
        out.append(head + metadata + b"</metadata></record>")
    if not out:
        raise SystemExit("no usable real records found under tests/fixtures/oai")
    return out


def build_records(n: int) -> list[bytes]:
    """N serialised ``<record>`` elements cycling the real records, each with its own id, stamp, title."""
    templates = _templates()
    records: list[bytes] = []
    for i in range(n):
        stamp = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
        template = templates[i % len(templates)]
        records.append(template.replace(_SERIAL, b"%d" % i).replace(_STAMP, stamp))
    return records


def native_id_of(record: bytes) -> str:
    start = record.index(b"<identifier>") + len(b"<identifier>")
    raw = record[start : record.index(b"</identifier>", start)].decode()
    return raw.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


# -- the server ---------------------------------------------------------------------------------------


def _make_server_class() -> type[Any]:
    """BenchReplayServer, defined lazily so that spawned children never import the test server."""
    from tests.support.oai_replay import FORMATS, SECONDS, CannedReply, OaiError, OaiReplayServer

    class BenchReplayServer(OaiReplayServer):  # type: ignore[misc]
        """OaiReplayServer whose ListRecords answers come from pre-serialised records."""

        def __init__(self, records: list[bytes], *, page_size: int) -> None:
            super().__init__([], page_size=page_size, granularity=SECONDS, earliest_datestamp=START)
            self.bench_records = records

        def answer(self, pairs: list[tuple[str, str]]) -> CannedReply:
            args = dict(pairs)
            if args.get("verb") != "ListRecords" or len(args) != len(pairs):
                return super().answer(pairs)  # Identify, other verbs, repeated arguments
            with self._lock:
                self._requests.append(args)
            try:
                body = self._list_records(args)
            except OaiError as error:
                body = self._error(args, error.code, error.message)
            return CannedReply(200, body, {"Content-Type": "text/xml; charset=utf-8"})

        def _list_records(self, args: dict[str, str]) -> bytes:
            if "resumptionToken" in args:
                if set(args) != {"verb", "resumptionToken"}:
                    raise OaiError("badArgument", "resumptionToken is an exclusive argument")
                match = _TOKEN.match(args["resumptionToken"])
                if match is None:
                    token = args["resumptionToken"]
                    raise OaiError("badResumptionToken", f"unknown resumption token {token!r}")
                lo, hi, offset = (int(g) for g in match.groups())
                if not lo <= offset < hi <= len(self.bench_records):
                    raise OaiError("badResumptionToken", "resumption token out of range")
            else:
                self._check(args, required=("metadataPrefix",), optional=("from", "until", "set"))
                if args["metadataPrefix"] not in FORMATS:
                    raise OaiError("cannotDisseminateFormat", f"{args['metadataPrefix']} is not supported")
                if "set" in args:
                    raise OaiError("noSetHierarchy", "this repository has no sets")
                lo, hi = self._window(args)
                if lo >= hi:
                    raise OaiError("noRecordsMatch", "no records match the request")
                offset = lo
            after = min(offset + self.page_size, hi)
            parts = [self._head(args), b"<ListRecords>", *self.bench_records[offset:after]]
            if after < hi or offset > lo:
                token = f"bench-{lo}-{hi}-{after}" if after < hi else ""
                parts.append(
                    f'<resumptionToken completeListSize="{hi - lo}" cursor="{offset - lo}">'
                    f"{token}</resumptionToken>".encode()
                )
            parts.append(b"</ListRecords></OAI-PMH>")
            return b"".join(parts)

        def _window(self, args: dict[str, str]) -> tuple[int, int]:
            """The index range of the records whose datestamps (START + i seconds) fall in from/until."""
            start, start_kind = self._bound(args.get("from"), end=False)
            stop, stop_kind = self._bound(args.get("until"), end=True)
            if start_kind and stop_kind and start_kind != stop_kind:
                raise OaiError("badArgument", "from and until have different granularities")
            if start and stop and start > stop:
                raise OaiError("badArgument", "from is later than until")
            total = len(self.bench_records)
            lo = 0 if start is None else int(-(-(start - START).total_seconds() // 1))
            hi = total if stop is None else int((stop - START).total_seconds() // 1) + 1
            return max(0, min(lo, total)), max(0, min(hi, total))

        def _head(self, args: dict[str, str]) -> bytes:
            attributes = "".join(f" {k}={quoteattr(v)}" for k, v in args.items())
            return (
                "<?xml version='1.0' encoding='UTF-8'?>\n"
                f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'xsi:schemaLocation="{OAI_NS} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">'
                f"<responseDate>{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</responseDate>"
                f"<request{attributes}>{escape(self.url)}</request>"
            ).encode()

        def _error(self, args: dict[str, str], code: str, message: str) -> bytes:
            head = self._head(args if code not in ("badVerb", "badArgument") else {})
            return head + f'<error code="{code}">{escape(message)}</error></OAI-PMH>'.encode()

    return BenchReplayServer


# -- the runs (each in its own spawned child) ---------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM of its own address space, else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _walk(url: str, on_page: Callable[[Any, bytes], None] | None = None) -> dict[str, Any]:
    """httpx + lxml over every ListRecords page, reading identifier and title of every record; each
    page's ``<ListRecords>`` element and its bytes are also handed to ``on_page`` (the floors' writes)."""
    import httpx
    from lxml import etree

    records = titled = 0
    started = time.perf_counter()
    cpu = time.process_time()
    with httpx.Client(timeout=httpx.Timeout(60.0)) as client:
        client.get(url, params={"verb": "Identify"}).raise_for_status()
        params = {"verb": "ListRecords", "metadataPrefix": "oai_dc"}
        while True:
            response = client.get(url, params=params)
            response.raise_for_status()
            root = etree.fromstring(response.content)
            listing = root.find(OAI + "ListRecords")
            if listing is None:
                raise RuntimeError(f"no ListRecords in the answer to {params}")
            for record in listing.iterchildren(OAI + "record"):
                identifier = record.findtext(f"{OAI}header/{OAI}identifier")
                title = record.findtext(f"{OAI}metadata/{OAI_DC}dc/{DC}title")
                records += identifier is not None
                titled += bool(title)
            if on_page is not None:
                on_page(listing, response.content)
            token = (listing.findtext(OAI + "resumptionToken") or "").strip()
            if not token:
                break
            params = {"verb": "ListRecords", "resumptionToken": token}
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return {"records": records, "titled": titled, "seconds": seconds, "cpu": cpu, "rss_mb": peak_rss_mb()}


def run_baseline(url: str, conn: Connection) -> None:
    """Run A: httpx + lxml over the same pages, reading identifier and title of every record."""
    conn.send(_walk(url))


_RAW_SQL = "INSERT OR REPLACE INTO raw (id, body) VALUES (?, ?)"
_FTS_SQL = "INSERT INTO fts (title, description) VALUES (?, ?)"


def _floor_db(path: Path, schema: str) -> sqlite3.Connection:
    """One of the floor's two SQLite files, with the hub's pragmas."""
    import sqlite3

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("PRAGMA wal_autocheckpoint = 16384")
    db.execute(schema)
    return db


def _floor_store(home: Path) -> sqlite3.Connection:
    return _floor_db(home / "s.db", "CREATE TABLE raw (id TEXT PRIMARY KEY, body BLOB NOT NULL)")


def _floor_index(home: Path) -> sqlite3.Connection:
    return _floor_db(
        home / "i.db",
        "CREATE VIRTUAL TABLE fts USING fts5(title, description, "
        "tokenize = \"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")",
    )


def _write_page(db: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    db.execute("BEGIN")
    db.executemany(sql, rows)
    db.execute("COMMIT")


def _record_slices(content: bytes) -> list[bytes]:
    """Each ``<record>...</record>`` of a page, cut from its bytes (no serialising back from the tree)."""
    out: list[bytes] = []
    start = content.find(b"<record>")
    while start >= 0:
        end = content.index(b"</record>", start) + len(b"</record>")
        out.append(content[start:end])
        start = content.find(b"<record>", end)
    return out


def _floor_rows(listing: Any, raw: list[bytes] | None) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The floor's rows of one page: (identifier, raw bytes) for the store, (titles, descriptions) for
    the index; the raw bytes serialised from the tree unless ``raw`` gives them cut from the page."""
    from lxml import etree

    raws: list[tuple[Any, ...]] = []
    texts: list[tuple[Any, ...]] = []
    for position, record in enumerate(listing.iterchildren(OAI + "record")):
        identifier = record.findtext(f"{OAI}header/{OAI}identifier")
        dc = record.find(f"{OAI}metadata/{OAI_DC}dc")
        titles = [] if dc is None else [t.text or "" for t in dc.iterchildren(DC + "title")]
        about = [] if dc is None else [t.text or "" for t in dc.iterchildren(DC + "description")]
        raws.append((identifier, etree.tostring(record) if raw is None else raw[position]))
        texts.append(("\n".join(titles), "\n".join(about)))
    return raws, texts


def run_floor(url: str, conn: Connection) -> None:
    """Run F, the engines' floor: run A, plus the least any pipeline on the embedded store and index
    must write per record: its raw bytes into a SQLite table (the store's file) and its titles and
    descriptions into an FTS5 table with the hub's tokenizer (the index's file), one transaction per
    page, with the hub's pragmas. No crosswalk, no normalised record, no facets."""
    with tempfile.TemporaryDirectory(prefix="gkss-floor-") as home:
        store, index = _floor_store(Path(home)), _floor_index(Path(home))
        writing = [0.0]

        def write(listing: Any, content: bytes) -> None:
            began = time.perf_counter()
            raws, texts = _floor_rows(listing, None)
            _write_page(store, _RAW_SQL, raws)
            _write_page(index, _FTS_SQL, texts)
            writing[0] += time.perf_counter() - began

        result = _walk(url, write)
        result["indexed"] = index.execute("SELECT count(*) FROM fts").fetchone()[0]
        result["write_seconds"] = writing[0]
        store.close()
        index.close()
    conn.send(result)


def floor_writer(home: str, which: str, conn: Connection) -> None:
    """One writer process of run G: says it is ready once its file is open, receives pages of rows
    until None, writes each in one transaction, then answers (rows in its table, its CPU seconds)."""
    db = _floor_store(Path(home)) if which == "store" else _floor_index(Path(home))
    sql, table = (_RAW_SQL, "raw") if which == "store" else (_FTS_SQL, "fts")
    conn.send("ready")
    cpu = time.process_time()
    while (rows := conn.recv()) is not None:
        _write_page(db, sql, rows)
    count = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    db.close()
    conn.send((count, time.process_time() - cpu))


def _sender(pipe: Connection, pages: queue.Queue[bytes | None]) -> None:
    """Hands pickled pages to a writer process, so that the reader never waits for a writer."""
    while (page := pages.get()) is not None:
        pipe.send_bytes(page)
    pipe.send(None)


def run_floor_parallel(url: str, conn: Connection) -> None:
    """Run G, the engines' floor spread over processes: this process fetches and parses as run A and
    cuts each record's raw bytes from the page (cheaper than serialising it, as run F does); a
    process of its own writes the store's file, another the index's file, as run F does, each fed
    through a queue of up to 16 pages by a sender thread. The time runs until both writers have
    committed their last page."""
    import pickle

    context = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="gkss-floor2-") as home:
        writers = []
        for which in ("store", "index"):
            ours, theirs = context.Pipe()
            process = context.Process(target=floor_writer, args=(home, which, theirs), name=f"floor-{which}")
            process.start()
            theirs.close()
            pages: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
            writers.append((process, ours, pages, threading.Thread(target=_sender, args=(ours, pages))))
        for _, pipe, _, sender in writers:  # the writers' start-up is not the floor's
            pipe.recv()
            sender.start()
        (*_, to_store, _), (*_, to_index, _) = writers
        started = time.perf_counter()

        def hand_over(listing: Any, content: bytes) -> None:
            raws, texts = _floor_rows(listing, _record_slices(content))
            to_store.put(pickle.dumps(raws, protocol=pickle.HIGHEST_PROTOCOL))
            to_index.put(pickle.dumps(texts, protocol=pickle.HIGHEST_PROTOCOL))

        result = _walk(url, hand_over)
        counts, writer_cpu = [], 0.0
        for process, pipe, pages, sender in writers:
            pages.put(None)
            sender.join()
            count, cpu = pipe.recv()
            counts.append(count)
            writer_cpu += cpu
            process.join()
        result["seconds"] = time.perf_counter() - started
        result["stored"], result["indexed"] = counts
        result["writer_cpu"] = writer_cpu
    conn.send(result)


def run_pipeline(url: str, expected: int, probe: tuple[int, str], batch_size: int, conn: Connection) -> None:
    """Run B: harvest_source into a fresh GKSS_HOME, then prove every record is searchable."""
    from hub.context import open_hub
    from hub.pipeline import harvest_source
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
) -> None:
    def rate(result: dict[str, Any], count: int) -> float:
        seconds = float(result.get("seconds") or 0.0)
        return count / seconds if seconds > 0 and not result.get("crashed") else 0.0

    a_rate = rate(a, int(a.get("records", 0)))
    b_rate = rate(b, n)
    q_rate = rate(b_quarter, n // 4)
    ratio = b_rate / a_rate if a_rate else 0.0
    rows = [
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
    options = parser.parse_args(argv)
    n = max(4, options.records)

    started = time.perf_counter()
    records = build_records(n)
    quarter = records[: n // 4]
    size = sum(map(len, records)) / 2**20
    print(f"built {n} records in {time.perf_counter() - started:.1f}s ({size:.0f} MB of XML)")
    server_class = _make_server_class()
    with (
        server_class(records, page_size=options.page_size) as server,
        server_class(quarter, page_size=options.page_size) as quarter_server,
    ):
        print(f"replay servers at {server.url} (N) and {quarter_server.url} (N/4)")
        print("run A (baseline) ...", flush=True)
        a = in_child(run_baseline, server.url)
        print("run F (engine floor) ...", flush=True)
        f = in_child(run_floor, server.url)
        print("run G (engine floor, 3 processes) ...", flush=True)
        g = in_child(run_floor_parallel, server.url)
        print("run B at N/4 ...", flush=True)
        probe_q = (len(quarter) - 1, native_id_of(quarter[-1]))
        b_quarter = in_child(run_pipeline, quarter_server.url, len(quarter), probe_q, options.batch_size)
        print("run B at N ...", flush=True)
        b = in_child(run_pipeline, server.url, n, (n - 1, native_id_of(records[-1])), options.batch_size)
    report(n, options.page_size, a, b_quarter, b, f, g)
    return 0


if __name__ == "__main__":
    sys.exit(main())
