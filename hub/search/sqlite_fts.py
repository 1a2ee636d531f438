"""The embedded search backend: SQLite FTS5 for text, a terms table for filters and facets."""

from __future__ import annotations

import html
import logging
import sqlite3
import threading
import unicodedata
import uuid
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hub.search.base import Capabilities, Hit, SearchPage, SearchQuery, filter_terms
from hub.search.facet_cache import FACET_COLUMNS_MIN, FacetColumnsCache
from hub.search.fts_text import cjk_bigrams, clean, fold, match_expression, without_cjk
from hub.search.sqlite_query import (
    QueryResult,
    after_page,
    chunks,
    marks,
    resolve,
    run,
)
from normalizers.resource import Resource
from normalizers.symbols import symbol_search_text

log = logging.getLogger(__name__)

SCHEMA_VERSION = 4
CACHE_SIZE = 512  # results (total, facets, first ids) kept per index until the next write
CACHED_IDS = 100  # ordered ids a cached result keeps, so its first pages need no query
IDLE_READERS = 32  # reader connections kept open between searches

# Written so: no statement holds a ";" (they are run one by one inside a transaction).
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('generation', 0)",
    # ``doc`` (the rowid) links a document to its FTS row and its terms; ``id`` is the unique key.
    # Small columns first, the Resource JSON last: reading a sort key never walks overflow pages.
    """CREATE TABLE IF NOT EXISTS docs (
        doc INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        sort_date TEXT NOT NULL,
        year INTEGER,
        type TEXT NOT NULL,
        source TEXT NOT NULL,
        resource TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS docs_by_date ON docs (sort_date DESC, id)",
    # Facet values, numbered, with how many documents hold each (the match-all facets).
    """CREATE TABLE IF NOT EXISTS facet_values (
        term INTEGER PRIMARY KEY,
        field TEXT NOT NULL,
        value TEXT NOT NULL,
        n INTEGER NOT NULL DEFAULT 0,
        UNIQUE (field, value)
    )""",
    # One row per facet value of a document, clustered by document (counting joins the match on
    # doc), indexed by value (filters). Integers: counting is about twice as fast as with text.
    """CREATE TABLE IF NOT EXISTS terms (
        doc INTEGER NOT NULL,
        term INTEGER NOT NULL,
        PRIMARY KEY (doc, term)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS terms_by_term ON terms (term)",
    # Every title, case- and accent-folded, for suggestions by prefix (an index range scan).
    """CREATE TABLE IF NOT EXISTS titles (
        folded TEXT NOT NULL,
        doc INTEGER NOT NULL,
        title TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS titles_by_folded ON titles (folded, doc)",
    "CREATE INDEX IF NOT EXISTS titles_by_doc ON titles (doc)",
    """CREATE VIEW IF NOT EXISTS doc_terms (doc, field, value) AS
        SELECT t.doc, v.field, v.value FROM terms t JOIN facet_values v ON v.term = t.term""",
    # Text in every language. unicode61 folds case and diacritics; M* (combining marks) counts as
    # part of a word so Devanagari or Arabic words are not cut at their vowel signs. CJK runs, which
    # have no spaces, go to the *_cjk columns as character bigrams.
    """CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
        title, description, subjects, title_cjk, text_cjk,
        tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"
    )""",
)
_DROP = tuple(
    f"DROP {kind} IF EXISTS {name}"
    for kind, name in (("VIEW", "doc_terms"), ("TABLE", "fts"), ("TABLE", "terms"), ("TABLE", "facet_values"),
                       ("TABLE", "titles"), ("TABLE", "docs"))
)  # fmt: skip
_TEMP = (
    "CREATE TEMP TABLE IF NOT EXISTS matched (doc INTEGER PRIMARY KEY, score REAL NOT NULL)",
    "CREATE TEMP TABLE IF NOT EXISTS counts (term INTEGER PRIMARY KEY, n INTEGER NOT NULL)",
)


def _terms(resource: Resource) -> Iterator[tuple[str, str]]:
    yield "type", resource.type
    yield "source", resource.source
    for country in dict.fromkeys(resource.countries):
        yield "country", country
    for target in dict.fromkeys(resource.gbf_targets):
        yield "target", target
    for language in dict.fromkeys([*resource.languages, *(k for k in resource.title if k != "und")]):
        yield "language", language
    year = resource.year()
    if year is not None:
        yield "year", str(year)
    for field, values in filter_terms(resource).items():
        for value in values:
            yield field, value


def _prepare(resource: Resource) -> tuple[tuple[Any, ...], tuple[str, ...], list[tuple[str, str]]]:
    """The docs row (without doc), the FTS texts and the facet terms of a Resource."""
    title = fold("\n".join(resource.title.values()))
    description = fold("\n".join(resource.description.values()))
    subjects = fold("\n".join([*resource.subjects, symbol_search_text(resource.symbols)]))
    row = (
        resource.id,
        resource.display_date() or "",
        resource.year(),
        resource.type,
        resource.source,
        resource.model_dump_json(),
    )
    texts = (
        without_cjk(title),
        without_cjk(description),
        without_cjk(subjects),
        cjk_bigrams(title),
        cjk_bigrams(description + "\n" + subjects),
    )
    return row, texts, list(dict.fromkeys((f, clean(v)) for f, v in _terms(resource)))


def suggestion_key(text: str) -> str:
    """A title or a typed prefix as suggestions compare them: case-folded, accents dropped."""
    decomposed = unicodedata.normalize("NFKD", clean(text).casefold())
    if decomposed.isascii():  # no combining marks to drop
        return decomposed.strip()
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).strip()


def _em(marked: str) -> str:
    """FTS5 highlight output (matches between \\x02 and \\x03) as HTML: text escaped, matches in <em>."""
    return html.escape(marked, quote=False).replace("\x02", "<em>").replace("\x03", "</em>")


class SqliteFtsIndex:
    """SearchIndex on SQLite FTS5, safe to share between threads.

    Writes go through one connection under a lock; reads take a connection from a pool (WAL lets
    them run beside the writer). ``":memory:"`` uses one connection, locked for reads and writes.
    Results of queries (total, facets, first ids) are cached until the next write to the file,
    from any process: every write transaction bumps ``meta.generation``, part of the cache key.
    """

    capabilities = Capabilities(highlight=True, suggest=True, deep_paging=False, cursor=True)

    def __init__(
        self, path: str | Path, *, cache_size: int = CACHE_SIZE, facet_columns_min: int = FACET_COLUMNS_MIN
    ) -> None:
        self._memory = str(path) == ":memory:"
        if self._memory:
            self._target = f"file:gkss-{uuid.uuid4().hex}?mode=memory"
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._target = str(Path(path))
        self._lock = threading.Lock()
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._cache: OrderedDict[tuple[Any, ...], QueryResult] = OrderedDict()
        self._cache_size = cache_size
        self.cache_hits = self.cache_misses = 0
        self._closed = False
        self._writer = self._connect(writer=True)
        # Large matches count their facets from in-memory columns (none for an index in memory).
        self._facets = None if self._memory else FacetColumnsCache(self._reading, facet_columns_min)
        with self._lock:
            self._migrate()

    # --- connections -----------------------------------------------------------------------

    def _connect(self, writer: bool = False) -> sqlite3.Connection:
        db = sqlite3.connect(
            self._target, uri=self._memory, check_same_thread=False, isolation_level=None, timeout=30
        )
        db.execute("PRAGMA temp_store = MEMORY")
        if not self._memory:
            if writer:
                db.execute("PRAGMA journal_mode = WAL")
                # Checkpoint every 64 MiB of WAL (16384 pages of 4 KiB) rather than every 4 MiB: a
                # harvest commits a batch every few milliseconds, and each checkpoint syncs the file.
                db.execute("PRAGMA wal_autocheckpoint = 16384")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA cache_size = {-32768 if writer else -2048}")  # KiB; the OS caches the file
        for statement in _TEMP:
            db.execute(statement)
        return db

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise sqlite3.ProgrammingError("the index is closed")
        if self._memory:
            with self._lock:
                try:
                    yield self._writer
                finally:
                    if self._writer.in_transaction:
                        self._writer.execute("ROLLBACK")
            return
        with self._pool_lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = self._connect()
        try:
            yield db
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")
            with self._pool_lock:
                if self._closed or len(self._idle) >= IDLE_READERS:
                    db.close()
                else:
                    self._idle.append(db)

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction under the lock; bumps the generation that keys the cache."""
        if self._closed:
            raise sqlite3.ProgrammingError("the index is closed")
        with self._lock:
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _migrate(self) -> None:
        """Create the schema, or drop and recreate it when it is of another version (then the
        index is empty and must be rebuilt from the store: ``gkss index rebuild``)."""
        db = self._writer
        if int(db.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
            return  # the usual case: no write lock taken, so opening never waits for a writer
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version != SCHEMA_VERSION:
                if db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'docs'").fetchone()[0]:
                    log.warning("search index schema %s != %s: emptied, rebuild it", version, SCHEMA_VERSION)
                for statement in (*_DROP, *_SCHEMA):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # --- writing ---------------------------------------------------------------------------

    def add(self, resources: Iterable[Resource]) -> int:
        latest = {resource.id: resource for resource in resources}
        if not latest:
            return 0
        prepared = [_prepare(resource) for resource in latest.values()]
        with self._writing() as db:
            existing = self._docs_of(db, list(latest))
            self._unlink(db, list(existing.values()))
            doc = int(db.execute("SELECT coalesce(max(doc), 0) FROM docs").fetchone()[0])
            numbers: list[int] = []
            for rid in latest:
                if rid not in existing:
                    doc += 1
                numbers.append(existing.get(rid, doc))
            pairs = sorted({pair for _, _, terms in prepared for pair in terms})
            db.executemany("INSERT OR IGNORE INTO facet_values (field, value) VALUES (?, ?)", pairs)
            term_of = {(f, v): t for t, f, v in db.execute("SELECT term, field, value FROM facet_values")}
            links = [
                (n, term_of[p]) for n, (_, _, terms) in zip(numbers, prepared, strict=True) for p in terms
            ]
            db.executemany(
                "INSERT OR REPLACE INTO docs (doc, id, sort_date, year, type, source, resource) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(n, *row) for n, (row, _, _) in zip(numbers, prepared, strict=True)],
            )
            db.executemany(
                "INSERT INTO fts (rowid, title, description, subjects, title_cjk, text_cjk) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(n, *texts) for n, (_, texts, _) in zip(numbers, prepared, strict=True)],
            )
            db.executemany("INSERT INTO terms (doc, term) VALUES (?, ?)", links)
            db.executemany(
                "INSERT INTO titles (folded, doc, title) VALUES (?, ?, ?)",
                [
                    (suggestion_key(title), n, clean(title))
                    for n, resource in zip(numbers, latest.values(), strict=True)
                    for title in dict.fromkeys(resource.title.values())
                    if title.strip()
                ],
            )
            added = Counter(term for _, term in links)
            db.executemany(
                "UPDATE facet_values SET n = n + ? WHERE term = ?", [(c, t) for t, c in added.items()]
            )
        return len(prepared)

    @staticmethod
    def _docs_of(db: sqlite3.Connection, ids: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks([clean(i) for i in ids]):
            rows = db.execute(f"SELECT id, doc FROM docs WHERE id IN ({marks(chunk)})", chunk)
            found.update(rows.fetchall())
        return found

    @staticmethod
    def _unlink(db: sqlite3.Connection, docs: list[int]) -> None:
        """Remove the FTS rows and terms of these documents (their docs rows stay)."""
        for chunk in chunks(docs):
            gone = db.execute(
                f"SELECT term, count(*) FROM terms WHERE doc IN ({marks(chunk)}) GROUP BY term", chunk
            )
            db.executemany(
                "UPDATE facet_values SET n = n - ? WHERE term = ?", [(c, t) for t, c in gone.fetchall()]
            )
        db.executemany("DELETE FROM terms WHERE doc = ?", [(d,) for d in docs])
        db.executemany("DELETE FROM titles WHERE doc = ?", [(d,) for d in docs])
        db.executemany("DELETE FROM fts WHERE rowid = ?", [(d,) for d in docs])

    def delete(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return 0
        with self._writing() as db:
            docs = list(self._docs_of(db, wanted).values())
            self._unlink(db, docs)
            db.executemany("DELETE FROM docs WHERE doc = ?", [(d,) for d in docs])
        return len(docs)

    def refresh(self) -> None:
        """Every add and delete commits its own transaction; this commits anything still open."""
        with self._lock:
            if self._writer.in_transaction:
                self._writer.execute("COMMIT")

    def reset(self) -> None:
        with self._writing() as db:
            for statement in (*_DROP, *_SCHEMA):
                db.execute(statement)
        with self._pool_lock:
            self._cache.clear()

    def close(self) -> None:
        with self._lock, self._pool_lock:
            if self._closed:
                return
            self._closed = True
            if self._facets is not None:
                self._facets.close()
            for db in self._idle:
                db.close()
            self._idle.clear()
            self._writer.close()

    # --- reading ---------------------------------------------------------------------------

    def get(self, id: str) -> Resource | None:
        with self._reading() as db:
            row = db.execute("SELECT resource FROM docs WHERE id = ?", (clean(id),)).fetchone()
        return Resource.model_validate_json(row[0]) if row else None

    def count(self) -> int:
        with self._reading() as db:
            return int(db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def ids(self) -> list[str]:
        with self._reading() as db:
            return [value for (value,) in db.execute("SELECT id FROM docs ORDER BY id")]

    def search(self, query: SearchQuery) -> SearchPage:
        expression = match_expression(query.text)
        relevance = query.sort == "relevance" and expression is not None
        size, offset = max(0, query.size), max(0, query.offset)
        with self._reading() as db:
            db.execute("BEGIN")
            generation = int(db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])
            filters = resolve(db, query)
            dates = (query.date_from, query.date_until)
            key = (generation, expression, filters, relevance, dates)
            result = self._cached(key, query.facets)
            if result is None:
                want = CACHED_IDS if query.after is not None else max(offset + size, CACHED_IDS)
                counter = self._facets.counter(generation) if self._facets is not None else None
                result = run(db, expression, filters, relevance, want, query.facets, dates, counter)
                self._store(key, QueryResult(result.total, result.facets, result.head[:CACHED_IDS]))
            if query.after is not None:
                page = after_page(db, expression, filters, relevance, dates, query.after, size)
            else:
                page = result.head[offset : offset + size]
                if len(page) < size and offset + size > len(result.head) and result.total > len(result.head):
                    page = run(db, expression, filters, relevance, offset + size, False, dates).head[offset:]
            documents: dict[int, tuple[str, str, str]] = {}
            for chunk in chunks([d for d, _ in page]):
                rows = db.execute(
                    f"SELECT doc, id, sort_date, resource FROM docs WHERE doc IN ({marks(chunk)})", chunk
                )
                documents.update((doc, (ident, day, text)) for doc, ident, day, text in rows)
            highlighted = self._highlights(db, expression, [d for d, _ in page]) if expression else {}
            db.execute("COMMIT")
        hits = []
        for d, score in page:
            ident, day, text = documents[d]
            hits.append(
                Hit(
                    id=ident,
                    score=-score if relevance else 0.0,
                    resource=Resource.model_validate_json(text),
                    highlights=highlighted.get(d, {}),
                    sort_key=(score, day, ident) if relevance else (day, ident),
                )
            )
        return SearchPage(total=result.total, hits=hits, facets=(result.facets or {}) if query.facets else {})

    def load_facet_columns(self) -> None:
        """Read the facet columns of the current generation now (searches otherwise load them in a thread)."""
        if self._facets is not None:
            self._facets.load()

    def suggest(self, prefix: str, size: int = 10) -> list[str]:
        """Titles that start with ``prefix`` (case- and accent-insensitive), one per document first."""
        key = suggestion_key(prefix)[:200]
        if not key.strip() or size <= 0:
            return []
        with self._reading() as db:
            rows = db.execute(
                "SELECT title FROM titles WHERE folded >= ? AND folded < ? ORDER BY folded, doc LIMIT ?",
                (key, key + "\U0010ffff", size * 4),
            ).fetchall()
        return list(dict.fromkeys(title for (title,) in rows))[:size]

    def _highlights(
        self, db: sqlite3.Connection, expression: str, docs: list[int]
    ) -> dict[int, dict[str, list[str]]]:
        """The matched words of each page document in <em>, the rest of the text HTML-escaped."""
        if not docs:
            return {}
        rows = db.execute(
            f"SELECT rowid, highlight(fts, 0, '\x02', '\x03'), snippet(fts, 1, '\x02', '\x03', '…', 24) "
            f"FROM fts WHERE fts MATCH ? AND rowid IN ({marks(docs)})",
            [expression, *docs],
        ).fetchall()
        found: dict[int, dict[str, list[str]]] = {}
        for doc, title, description in rows:
            fields = {"title": title or "", "description": description or ""}
            marked = {name: [_em(text)] for name, text in fields.items() if "\x02" in text}
            if marked:
                found[int(doc)] = marked
        return found

    def _cached(self, key: tuple[Any, ...], facets: bool) -> QueryResult | None:
        with self._pool_lock:
            found = self._cache.get(key)
            usable = found is not None and (found.facets is not None or not facets)
            if found is not None and usable:
                self._cache.move_to_end(key)
                self.cache_hits += 1
                return found
            self.cache_misses += 1
            return None

    def _store(self, key: tuple[Any, ...], result: QueryResult) -> None:
        with self._pool_lock:
            self._cache[key] = result
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
