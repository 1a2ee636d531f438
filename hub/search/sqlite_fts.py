"""The embedded search backend: SQLite FTS5 for text, a terms table for filters and facets."""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hub.search.base import FACET_FIELDS, Capabilities, Hit, SearchPage, SearchQuery
from normalizers.resource import Resource

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    resource TEXT NOT NULL,
    sort_date TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS docs_date ON docs (sort_date DESC, id);
CREATE TABLE IF NOT EXISTS terms (
    doc INTEGER NOT NULL,
    field TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS terms_lookup ON terms (field, value, doc);
CREATE INDEX IF NOT EXISTS terms_doc ON terms (doc);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, description, subjects, cjk, tokenize = 'unicode61 remove_diacritics 2'
);
"""
# bm25 weights: title, description, subjects, cjk (CJK bigrams carry titles and descriptions).
_BM25 = "bm25(fts, 10.0, 3.0, 4.0, 5.0)"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
_WORDY = re.compile(r"\w", re.UNICODE)


def cjk_bigrams(text: str) -> str:
    """CJK runs of a text as space-separated character bigrams (a lone character stays itself)."""
    grams: list[str] = []
    for run in _CJK.findall(text):
        if len(run) == 1:
            grams.append(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(grams)


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def match_expression(text: str) -> str | None:
    """User text as a safe FTS5 expression: every term a quoted phrase, AND-ed; ``term*`` is a prefix.

    Returns None when the text holds nothing searchable (then everything matches).
    """
    parts: list[str] = []
    for token in text.split():
        prefix = token.endswith("*")
        core = token.rstrip("*")
        if _CJK.search(core):
            grams = cjk_bigrams(core)
            rest = _CJK.sub(" ", core)
            if grams:
                parts.append("cjk : " + _phrase(grams) + ("*" if len(grams) == 1 else ""))
            core = rest.strip()
            if not core:
                continue
        if not _WORDY.search(core):
            continue
        parts.append(_phrase(core) + ("*" if prefix else ""))
    return " AND ".join(parts) if parts else None


def _terms(resource: Resource) -> Iterator[tuple[str, str]]:
    yield "type", resource.type
    yield "source", resource.source
    for country in resource.countries:
        yield "country", country
    for target in resource.gbf_targets:
        yield "target", target
    languages = dict.fromkeys([*resource.languages, *(k for k in resource.title if k != "und")])
    for language in languages:
        yield "language", language
    year = resource.year()
    if year is not None:
        yield "year", str(year)


def _sort_date(resource: Resource) -> str:
    if resource.published:
        return resource.published.isoformat()
    if resource.modified:
        return resource.modified.date().isoformat()
    return ""


class SqliteFtsIndex:
    """SearchIndex on SQLite FTS5; safe to share between threads (one writer, a reader per thread)."""

    capabilities = Capabilities(highlight=False, suggest=False, deep_paging=False)

    def __init__(self, path: str | Path) -> None:
        if str(path) == ":memory:":
            self._uri = f"file:gkss-{uuid.uuid4().hex}?mode=memory&cache=shared"
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._uri = Path(path).resolve().as_uri()
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._writer = self._connect()
        self._writer.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._uri, uri=True, check_same_thread=False, isolation_level=None)
        connection.execute("PRAGMA busy_timeout = 30000")
        if "mode=memory" not in self._uri:
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("CREATE TEMP TABLE IF NOT EXISTS matched (doc INTEGER PRIMARY KEY, score REAL)")
        self._all.append(connection)
        return connection

    def _reader(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    # --- writing ---------------------------------------------------------------------------

    def add(self, resources: Iterable[Resource]) -> int:
        items = list(resources)
        if not items:
            return 0
        with self._write_lock:
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            try:
                self._remove(db, [r.id for r in items])
                for resource in items:
                    cursor = db.execute(
                        "INSERT INTO docs (id, resource, sort_date) VALUES (?, ?, ?)",
                        (resource.id, resource.model_dump_json(), _sort_date(resource)),
                    )
                    doc = cursor.lastrowid
                    title = "\n".join(resource.title.values())
                    description = "\n".join(resource.description.values())
                    db.execute(
                        "INSERT INTO fts (rowid, title, description, subjects, cjk) VALUES (?, ?, ?, ?, ?)",
                        (
                            doc,
                            title,
                            description,
                            "\n".join(resource.subjects),
                            cjk_bigrams(title + " " + description),
                        ),
                    )
                    db.executemany(
                        "INSERT INTO terms (doc, field, value) VALUES (?, ?, ?)",
                        [(doc, field, value) for field, value in _terms(resource)],
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return len(items)

    @staticmethod
    def _remove(db: sqlite3.Connection, ids: list[str]) -> int:
        removed = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            docs = [row[0] for row in db.execute(f"SELECT rowid FROM docs WHERE id IN ({marks})", chunk)]
            if not docs:
                continue
            doc_marks = ",".join("?" * len(docs))
            db.execute(f"DELETE FROM fts WHERE rowid IN ({doc_marks})", docs)
            db.execute(f"DELETE FROM terms WHERE doc IN ({doc_marks})", docs)
            db.execute(f"DELETE FROM docs WHERE rowid IN ({doc_marks})", docs)
            removed += len(docs)
        return removed

    def delete(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return 0
        with self._write_lock:
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            try:
                removed = self._remove(db, wanted)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return removed

    def refresh(self) -> None:
        """Every write commits at once; nothing to do."""

    def reset(self) -> None:
        with self._write_lock:
            db = self._writer
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM fts")
            db.execute("DELETE FROM terms")
            db.execute("DELETE FROM docs")
            db.execute("COMMIT")

    def close(self) -> None:
        for connection in self._all:
            connection.close()
        self._all.clear()

    # --- reading ---------------------------------------------------------------------------

    def get(self, id: str) -> Resource | None:
        row = self._reader().execute("SELECT resource FROM docs WHERE id = ?", (id,)).fetchone()
        return Resource.model_validate_json(row[0]) if row else None

    def count(self) -> int:
        return int(self._reader().execute("SELECT count(*) FROM docs").fetchone()[0])

    def ids(self) -> Iterator[str]:
        for (value,) in self._reader().execute("SELECT id FROM docs ORDER BY id"):
            yield value

    def search(self, query: SearchQuery) -> SearchPage:
        db = self._reader()
        expression = match_expression(query.text)
        clauses: list[str] = []
        params: list[Any] = []
        if expression is None:
            source = "SELECT rowid AS doc, 0.0 AS score FROM docs"
        else:
            source = f"SELECT rowid AS doc, {_BM25} AS score FROM fts WHERE fts MATCH ?"
            params.append(expression)
        for field, values in _filters(query):
            marks = ",".join("?" * len(values))
            clauses.append(f"doc IN (SELECT doc FROM terms WHERE field = ? AND value IN ({marks}))")
            params.extend([field, *values])
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        db.execute("BEGIN")
        try:
            db.execute("DELETE FROM temp.matched")
            db.execute(
                f"INSERT INTO temp.matched (doc, score) SELECT doc, score FROM ({source}){where}", params
            )
            total = int(db.execute("SELECT count(*) FROM temp.matched").fetchone()[0])
            order = "d.sort_date DESC, d.id" if query.sort == "date" else "m.score, d.sort_date DESC, d.id"
            rows = db.execute(
                f"SELECT d.id, m.score, d.resource FROM temp.matched m JOIN docs d ON d.rowid = m.doc "
                f"ORDER BY {order} LIMIT ? OFFSET ?",
                (query.size, query.offset),
            ).fetchall()
            facets = self._facets(db) if query.facets and total else {}
        finally:
            db.execute("COMMIT")
        hits = [
            Hit(id=rid, score=-float(score), resource=Resource.model_validate_json(text))
            for rid, score, text in rows
        ]
        return SearchPage(total=total, hits=hits, facets=facets)

    @staticmethod
    def _facets(db: sqlite3.Connection) -> dict[str, dict[str, int]]:
        facets: dict[str, dict[str, int]] = {field: {} for field in FACET_FIELDS}
        rows = db.execute(
            "SELECT t.field, t.value, count(*) AS n FROM terms t JOIN temp.matched m ON m.doc = t.doc "
            "GROUP BY t.field, t.value ORDER BY t.field, n DESC, t.value"
        )
        for field, value, n in rows:
            if field in facets:
                facets[field][value] = int(n)
        return facets


def _filters(query: SearchQuery) -> list[tuple[str, list[str]]]:
    pairs: list[tuple[str, tuple[Any, ...]]] = [
        ("type", query.type),
        ("source", query.source),
        ("country", query.country),
        ("target", query.target),
        ("language", query.language),
        ("year", query.year),
    ]
    return [(field, [str(v) for v in values]) for field, values in pairs if values]
