"""The harvest benchmark's baselines: the plain httpx + lxml client (run A) and the engines' floors, the
least any pipeline on the embedded store and index must do, in one process (run F) and in three (run G)."""

from __future__ import annotations

import multiprocessing as mp
import queue
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.benchmarks.harvest_corpus import DC, OAI, OAI_DC

if TYPE_CHECKING:
    import sqlite3
    from multiprocessing.connection import Connection


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


def walk(url: str, on_page: Callable[[Any, bytes], None] | None = None) -> dict[str, Any]:
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
    conn.send(walk(url))


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

        result = walk(url, write)
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

        result = walk(url, hand_over)
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


FLOOR_COMMIT = (
    5000  # records per Tantivy commit in run T: what the hub's run writer gives its index at a time
)


def run_floor_tantivy(url: str, conn: Connection) -> None:
    """Run T, the engines' floor on the embedded engine the hub uses: run A, plus each record's raw bytes
    (cut from the page) into SQLite as in run F, and its identifier, titles and descriptions into a
    Tantivy index of three fields (Tantivy's default tokenizer), committed every ``FLOOR_COMMIT``
    records and at the end, one writer thread as the hub's. No crosswalk, no enrichment, no
    normalised record, no facets: nothing of the hub's."""
    import tantivy

    with tempfile.TemporaryDirectory(prefix="gkss-floor-t-") as home:
        store = _floor_store(Path(home))
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("title")
        builder.add_text_field("description")
        (Path(home) / "t").mkdir()
        index = tantivy.Index(builder.build(), path=str(Path(home) / "t"))
        writer = index.writer(heap_size=64_000_000, num_threads=1)
        pending = [0]

        def write(listing: Any, content: bytes) -> None:
            raws, texts = _floor_rows(listing, _record_slices(content))
            _write_page(store, _RAW_SQL, raws)
            for (identifier, _), (title, about) in zip(raws, texts, strict=True):
                writer.add_document(tantivy.Document(id=identifier, title=title, description=about))
            pending[0] += len(raws)
            if pending[0] >= FLOOR_COMMIT:
                writer.commit()
                pending[0] = 0

        started, cpu = time.perf_counter(), time.process_time()
        result = walk(url, write)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        result["seconds"] = time.perf_counter() - started
        result["cpu"] = time.process_time() - cpu
        result["indexed"] = index.searcher().num_docs
        result["stored"] = store.execute("SELECT count(*) FROM raw").fetchone()[0]
        result["rss_mb"] = peak_rss_mb()
        store.close()
    conn.send(result)
