"""Queries on the embedded index's tables: the match, exact facet counts and the result order."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from hub.search.base import FACET_FIELDS, FILTER_FIELDS, SearchQuery
from hub.search.fts_text import clean

# bm25 column weights: title, description, subjects, title_cjk, text_cjk.
BM25 = "bm25(fts, 10.0, 2.0, 4.0, 10.0, 2.0)"
Facets = dict[str, dict[str, int]]
# (db, total) -> the facets of temp.matched, or None to count them in SQL.
FacetCounter = Callable[[sqlite3.Connection, int], "Facets | None"]


def _filters(query: SearchQuery) -> list[tuple[str, list[str]]]:
    pairs: list[tuple[str, tuple[Any, ...]]] = [(name, getattr(query, name)) for name in FILTER_FIELDS]
    return [(f, sorted({clean(str(v)) for v in values})) for f, values in pairs if values]


def chunks(items: list[Any], size: int = 500) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(values: Iterable[Any]) -> str:
    return ",".join("?" for _ in values)


@dataclass(frozen=True, slots=True)
class QueryResult:
    """What a query found: total, facets (None when not asked) and the first ordered (doc, score)."""

    total: int
    facets: Facets | None
    head: list[tuple[int, float]]


def resolve(db: sqlite3.Connection, query: SearchQuery) -> tuple[tuple[int, ...], ...] | None:
    """Filters as term numbers, one tuple per field, the field with fewest documents first;
    None when some field has no known value (nothing can match)."""
    groups: list[tuple[int, tuple[int, ...]]] = []
    for field, values in _filters(query):
        rows = db.execute(
            f"SELECT term, n FROM facet_values WHERE field = ? AND value IN ({marks(values)})",
            [field, *values],
        ).fetchall()
        if not rows:
            return None
        groups.append((sum(n for _, n in rows), tuple(sorted(t for t, _ in rows))))
    return tuple(terms for _, terms in sorted(groups))


Dates = tuple[str | None, str | None]  # inclusive YYYY-MM-DD bounds of docs.sort_date
NO_DATES: Dates = (None, None)


def run(
    db: sqlite3.Connection,
    expression: str | None,
    filters: tuple[tuple[int, ...], ...] | None,
    relevance: bool,
    want: int,
    facets: bool,
    dates: Dates = NO_DATES,
    counter: FacetCounter | None = None,
) -> QueryResult:
    """Run a query: the first ``want`` (doc, score) in order, the total and (if asked) the facets
    (from ``counter`` when it can, else counted in SQL)."""
    if filters is None:
        return QueryResult(0, {field: {} for field in FACET_FIELDS}, [])
    if expression is None and not filters and dates == NO_DATES:
        total = _documents(db)
        rows = db.execute("SELECT field, value, n FROM facet_values WHERE n > 0").fetchall()
        head = db.execute("SELECT doc, 0.0 FROM docs ORDER BY sort_date DESC, id LIMIT ?", (want,)).fetchall()
        return QueryResult(total, facet_dict(rows), head)
    _match(db, expression, filters, relevance, dates)
    total = int(db.execute("SELECT count(*) FROM temp.matched").fetchone()[0])
    counted = counter(db, total) if facets and counter is not None else None
    if facets and counted is None:
        counted = _count_facets(db)
    return QueryResult(total, counted, _order(db, relevance, want, total))


def _match(
    db: sqlite3.Connection,
    expression: str | None,
    filters: tuple[tuple[int, ...], ...],
    relevance: bool,
    dates: Dates = NO_DATES,
) -> None:
    """Fill temp.matched with (doc, -relevance) of the documents matching text AND every filter
    AND the date range."""
    db.execute("DELETE FROM temp.matched")
    params: list[Any] = []
    if expression is None and not filters:
        sql, rest, column = "SELECT doc, 0.0 FROM docs WHERE 1", filters, "docs.doc"
    elif expression is None:
        driver, rest = filters[0], filters[1:]
        sql = f"SELECT doc, 0.0 FROM terms WHERE term IN ({marks(driver)})"
        params.extend(driver)
        column = "terms.doc"
    else:
        sql = f"SELECT rowid, {BM25 if relevance else '0.0'} FROM fts WHERE fts MATCH ?"
        params.append(expression)
        rest, column = filters, "fts.rowid"
    for terms in rest:
        sql += f" AND EXISTS (SELECT 1 FROM terms t WHERE t.doc = {column} AND t.term IN ({marks(terms)}))"
        params.extend(terms)
    low, high = dates
    if low is not None or high is not None:
        sql += f" AND EXISTS (SELECT 1 FROM docs d WHERE d.doc = {column} AND d.sort_date != ''"
        if low is not None:
            sql += " AND d.sort_date >= ?"
            params.append(low)
        if high is not None:
            sql += " AND d.sort_date <= ?"
            params.append(high)
        sql += ")"
    db.execute(f"INSERT OR IGNORE INTO temp.matched (doc, score) {sql}", params)


def after_page(
    db: sqlite3.Connection,
    expression: str | None,
    filters: tuple[tuple[int, ...], ...] | None,
    relevance: bool,
    dates: Dates,
    after: tuple[Any, ...],
    size: int,
) -> list[tuple[int, float]]:
    """The ``size`` matched (doc, score) following the sort key ``after`` (keyset paging: as cheap deep
    in the list as at its head). Keys are (score, date, id) by relevance, (date, id) by date."""
    if filters is None or size <= 0:
        return []
    if len(after) != (3 if relevance else 2):
        raise ValueError("the cursor does not fit this sort")
    _match(db, expression, filters, relevance, dates)
    by_date = "(d.sort_date < ? OR (d.sort_date = ? AND d.id > ?))"
    if relevance:
        score, day, ident = after
        condition, params = f"(m.score > ? OR (m.score = ? AND {by_date}))", [score, score, day, day, ident]
        order = "m.score, d.sort_date DESC, d.id"
    else:
        day, ident = after
        condition, params, order = by_date, [day, day, ident], "d.sort_date DESC, d.id"
    return db.execute(
        f"SELECT m.doc, m.score FROM temp.matched m CROSS JOIN docs d ON d.doc = m.doc WHERE {condition} "
        f"ORDER BY {order} LIMIT ?",
        [*params, size],
    ).fetchall()


def _count_facets(db: sqlite3.Connection) -> Facets:
    """Facet counts over the whole match: its terms counted into temp.counts (an upsert per term
    row into a table of a few hundred rows: three times faster than GROUP BY's sort here)."""
    db.execute("DELETE FROM temp.counts")
    db.execute(
        "INSERT INTO temp.counts (term, n) SELECT t.term, 1 FROM temp.matched m CROSS JOIN terms t "
        "ON t.doc = m.doc WHERE 1 ON CONFLICT (term) DO UPDATE SET n = n + 1"
    )
    rows = db.execute(
        "SELECT v.field, v.value, c.n FROM temp.counts c JOIN facet_values v ON v.term = c.term"
    )
    return facet_dict(rows.fetchall())


def _order(db: sqlite3.Connection, relevance: bool, want: int, total: int) -> list[tuple[int, float]]:
    """The first ``want`` matched (doc, score): by relevance (then date, id) or by date, id."""
    if want <= 0 or total == 0:
        return []
    if relevance:
        # Only documents scoring at least the want-th best can be on the page: join just those.
        row = db.execute(
            "SELECT score FROM temp.matched ORDER BY score LIMIT 1 OFFSET ?", (want - 1,)
        ).fetchone()
        return db.execute(
            "SELECT m.doc, m.score FROM temp.matched m CROSS JOIN docs d ON d.doc = m.doc WHERE m.score <= ? "
            "ORDER BY m.score, d.sort_date DESC, d.id LIMIT ?",
            (row[0] if row else math.inf, want),
        ).fetchall()
    if total * 50 >= _documents(db):  # dense: walk the date index, keep the matched
        sql = "FROM docs d INDEXED BY docs_by_date CROSS JOIN temp.matched m ON m.doc = d.doc"
    else:  # sparse: sort the matched
        sql = "FROM temp.matched m CROSS JOIN docs d ON d.doc = m.doc"
    return db.execute(f"SELECT d.doc, 0.0 {sql} ORDER BY d.sort_date DESC, d.id LIMIT ?", (want,)).fetchall()


def _documents(db: sqlite3.Connection) -> int:
    """How many documents there are (each has exactly one source term)."""
    return int(
        db.execute("SELECT coalesce(sum(n), 0) FROM facet_values WHERE field = 'source'").fetchone()[0]
    )


def facet_dict(rows: Iterable[tuple[str, str, int]]) -> Facets:
    """Facet rows as {field: {value: count}}, most first then by value; every field present."""
    grouped: dict[str, list[tuple[str, int]]] = {field: [] for field in FACET_FIELDS}
    for field, value, n in rows:
        if field in grouped and n > 0:
            grouped[field].append((value, int(n)))
    return {field: dict(sorted(pairs, key=lambda p: (-p[1], p[0]))) for field, pairs in grouped.items()}
