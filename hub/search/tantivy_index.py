"""The embedded search backend: a Tantivy index in a directory of the hub's home (or in memory).

One writer at a time across processes (a lock file held for the whole write); every process's
searches see each commit: they check the index's ``meta.json`` (a stat) and reload when it changed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy

from hub.search.base import FACET_FIELDS, FILTER_FIELDS, Capabilities, Hit, SearchPage, SearchQuery
from hub.search.fts_text import clean
from hub.search.highlight import marked, wanted
from hub.search.result_cache import Found, ResultCache
from hub.search.tantivy_files import IndexFiles
from hub.search.tantivy_query import QueryBuilder
from hub.search.tantivy_ranking import StoredHit, counted, facet_dict, order_of, ranked
from hub.search.tantivy_schema import (
    SEPARATOR,
    SHOWN,
    SUGGEST,
    WORDS,
    analyzers,
    document,
    schema,
    suggestion_key,
)
from hub.search.tantivy_writes import Writes, adding, documents_of
from normalizers.resource import Resource

log = logging.getLogger(__name__)

CACHE_SIZE = 512  # query results (total, facets, first hits) kept per generation of the index
CACHED_HITS = 100  # ordered hits a cached result keeps, so its first pages need no query
FACET_TERMS = 65_000  # distinct values counted per facet field (exact while a field has fewer)
_AGGREGATION = {field: {"terms": {"field": field, "size": FACET_TERMS}} for field in FACET_FIELDS}
_ORDER = re.compile(r"[0-9]{14}[0-9a-f]*z")  # tantivy_schema.order_key
HIGHLIGHTED = ("title", "description")  # highlighted in their stored texts (SHOWN)
_KEYED = (*FILTER_FIELDS, "date_from", "date_until")  # what, besides the text and the sort, makes a result


class TantivyIndex:
    """SearchIndex on Tantivy, safe to share between threads.

    ``path`` None or ``":memory:"``: an index in memory. Otherwise a directory: created when missing,
    emptied when built by another version of the schema (then ``needs_rebuild`` is True and the hub
    refills it from the store). Results (total, facets, first hits) are cached per generation of the
    index; the browse result (no text, no filter) is computed again as soon as a commit is seen.
    """

    capabilities = Capabilities(highlight=True, suggest=True, deep_paging=False, cursor=True, in_process=True)

    def __init__(self, path: str | Path | None = None, *, cache_size: int = CACHE_SIZE) -> None:
        self._schema = schema()
        self._files = None if path is None or str(path) == ":memory:" else IndexFiles(Path(path))
        self._lock = threading.RLock()  # this process's writes (the lock file orders processes)
        if self._files is None:
            self._index = tantivy.Index(self._schema)
            self.needs_rebuild = False
        else:
            self._index, self.needs_rebuild = self._files.open(self._schema)
        self._analyzers = analyzers()
        for name, analyzer in self._analyzers.items():
            self._index.register_tokenizer(name, analyzer)
        self._index.config_reader(reload_policy="Manual")
        self._build = QueryBuilder(self._schema, self._analyzers)
        self._words = self._analyzers[WORDS]
        self._cache = ResultCache(cache_size)
        self._generation = 0
        self._browse: tuple[int, Found] | None = None  # the match-all result of a generation
        self._browsed = False
        self._seen = self._files.signature() if self._files is not None else None
        self._searcher = self._index.searcher()
        self._closed = False
        self._writes = Writes(self._index, self._files, self._lock, self._committed)
        self._warm()

    # --- generations -------------------------------------------------------------------------

    def _current(self) -> tuple[int, tantivy.Searcher]:
        """The latest commit's generation and searcher; never waits for this process's writer (loop-safe)."""
        if self._closed:
            raise ValueError("the index is closed")
        seen = self._files.signature() if self._files is not None else None
        if seen != self._seen and self._lock.acquire(blocking=False):
            try:
                if seen != self._seen:
                    self._reload(seen)
            finally:
                self._lock.release()
        return self._generation, self._searcher

    def _reload(self, seen: tuple[int, int, int] | None) -> None:
        self._index.reload()
        self._searcher = self._index.searcher()
        self._seen = seen
        self._generation += 1
        self._cache.clear()
        self._warm()

    def _warm(self) -> None:
        """Compute the browse result (match all) of the current generation in a thread of its own, once
        this index has been browsed (a harvest that never searches does not count after its commits)."""
        generation, searcher = self._generation, self._searcher
        if not self._browsed:
            return

        def compute() -> None:
            try:
                if self._generation == generation and not self._closed:
                    self._result(generation, searcher, None, [], False, (), CACHED_HITS, True)
            except ValueError:  # closed or replaced meanwhile: the next browse computes it
                log.debug("browse result not precomputed", exc_info=True)

        threading.Thread(target=compute, name="gkss-browse-facets", daemon=True).start()

    @property
    def generation(self) -> int:
        """How many commits this index has seen (any process's): what keys cached answers."""
        return self._current()[0]

    @property
    def searcher(self) -> tantivy.Searcher:
        """The searcher of the latest commit."""
        return self._current()[1]

    @property
    def cache_size(self) -> int:
        return self._cache.size

    @cache_size.setter
    def cache_size(self, size: int) -> None:
        self._cache.size = size
        self._cache.clear()

    aggregation = _AGGREGATION  # what counts the facets (benchmarks run it on the engine alone)

    def engine_query(self, query: SearchQuery) -> tuple[tantivy.Query, bool]:
        """The Tantivy query a search runs and whether it ranks by relevance (else by date)."""
        text = self._build.text(query.text, self._current()[1])
        return self._build.combine(
            text, self._build.filters(query)
        ), query.sort == "relevance" and text is not None

    # --- writing -----------------------------------------------------------------------------

    def _write(self, work: Any, size: int | None = None) -> Any:
        """Run ``work(writer)`` with this index's only writer and commit (``Writes.write``)."""
        if self._closed:
            raise ValueError("the index is closed")
        return self._writes.write(work, size)

    def _committed(self) -> None:
        self._reload(self._files.signature() if self._files is not None else None)

    def add(self, resources: Iterable[Resource]) -> int:
        docs = documents_of(resources)
        return int(self._write(adding(docs), len(docs))) if docs else 0

    def add_pending(
        self,
        resources: Iterable[Resource],
        commit_every: int | None = None,
        *,
        encoded: Sequence[str] | None = None,
        fields: Sequence[dict[str, Any] | None] | None = None,
    ) -> int:
        """``add`` for a long run: searchable once committed, with the next ones, when ``commit_every``
        (``tantivy_writes.COMMIT_EVERY``) are pending, by ``commit_pending``, any other write, ``close``.
        ``encoded``: each resource's JSON as the store wrote it; ``fields``: each one's document fields
        where a helper made them (``documents_of``)."""
        if self._closed:
            raise ValueError("the index is closed")
        docs = documents_of(resources, encoded, fields)
        if not docs:
            return 0
        return self._writes.add_pending(adding(docs), commit_every)

    def commit_pending(self) -> None:
        """Make what ``add_pending`` added searchable now."""
        self._writes.commit_pending()

    def rebuild(self, resources: Iterable[Resource]) -> int:
        """Replace everything by ``resources`` in one commit (searches see the old index until then)."""

        def work(writer: tantivy.IndexWriter) -> int:
            writer.delete_all_documents()
            written = 0
            for resource in resources:
                writer.add_document(document(resource))
                written += 1
            return written

        written = int(self._write(work))
        self.needs_rebuild = False
        return written

    def delete(self, ids: Iterable[str]) -> int:
        wanted = sorted({clean(i) for i in ids})
        if not wanted:
            return 0
        self._writes.commit_pending()  # what is pending counts as present, and is deleted
        _, searcher = self._current()
        present = counted(searcher.search(tantivy.Query.term_set_query(self._schema, "id", wanted), 1))
        if not present:
            return 0

        def work(writer: tantivy.IndexWriter) -> None:
            for rid in wanted:
                writer.delete_documents_by_term("id", rid)

        self._write(work, 0)
        return int(present)

    def refresh(self) -> None:
        """Commit what ``add_pending`` left pending, and pick up the commits of other processes."""
        self._writes.commit_pending()
        self._current()

    def reset(self) -> None:
        self._write(lambda writer: writer.delete_all_documents(), 0)

    def close(self) -> None:
        with self._lock:
            self._writes.commit_pending()
            self._writes.settle()
        self._closed = True
        self._cache.clear()

    # --- reading -----------------------------------------------------------------------------

    def _by_id(self, searcher: tantivy.Searcher, id: str) -> tantivy.Document | None:
        hits = searcher.search(tantivy.Query.term_query(self._schema, "id", clean(id)), 1, count=False).hits
        return searcher.doc(hits[0][1]) if hits else None

    def get(self, id: str) -> Resource | None:
        _, searcher = self._current()
        doc = self._by_id(searcher, id)
        return Resource.model_validate_json(doc["resource"][0]) if doc is not None else None

    def count(self) -> int:
        return int(self._current()[1].num_docs)

    def ids(self) -> list[str]:
        _, searcher = self._current()
        terms = searcher.terms_with_prefix("id", "", filter_query=tantivy.Query.all_query())
        return sorted(term for term, n in terms if n > 0)

    def suggest(self, prefix: str, size: int = 10) -> list[str]:
        """Titles that start with ``prefix`` (case- and accent-insensitive), in the order of their keys."""
        key = suggestion_key(prefix)[:200]
        if not key.strip() or size <= 0:
            return []
        _, searcher = self._current()
        terms = searcher.terms_with_prefix(SUGGEST, key, filter_query=tantivy.Query.all_query())
        found = sorted(term for term, n in terms if n > 0)
        return list(dict.fromkeys(term.split(SEPARATOR, 1)[-1] for term in found))[:size]

    def search(self, query: SearchQuery) -> SearchPage:
        generation, searcher = self._current()
        text = self._build.text(query.text, searcher)
        filters = self._build.filters(query)
        relevance = query.sort == "relevance" and text is not None
        size, offset = max(0, query.size), max(0, query.offset)
        key = (query.text if text is not None else "", relevance, *(getattr(query, f) for f in _KEYED))
        if query.after is not None:
            found = self._result(generation, searcher, text, filters, relevance, key, 0, query.facets)
            page = self._after(found.reader, text, filters, relevance, query.after, size)
        else:
            want = offset + size
            found = self._result(generation, searcher, text, filters, relevance, key, want, query.facets)
            if offset + size > len(found.head) and found.total > len(found.head):
                found = self._compute(searcher, text, filters, relevance, offset + size, False)
            page = found.head[offset : offset + size]
        hits = self._hits(found.reader, page, query.text if text is not None else None, relevance)
        return SearchPage(total=found.total, hits=hits, facets=(found.facets or {}) if query.facets else {})

    def _result(
        self,
        generation: int,
        searcher: tantivy.Searcher,
        text: tantivy.Query | None,
        filters: list[tantivy.Query],
        relevance: bool,
        key: Hashable,
        want: int,
        facets: bool,
    ) -> Found:
        """The total, facets and first hits of a query: browsing (no text, no filter) from the result
        kept for this generation, else from the cache when it has them."""
        if text is None and not filters:
            self._browsed = True
            browse = self._browse
            if browse is not None and browse[0] == generation and browse[1].serves(want, facets):
                return browse[1]
            found = self._compute(searcher, None, [], False, max(want, CACHED_HITS), True)
            if generation == self._generation:
                self._browse = (generation, found)
            return found
        key = (generation, key)
        cached = self._cache.get(key, want, facets)
        if cached is not None:
            return cached
        # Only as far as the page: a cached result serves it and the pages before (ordering by the
        # string column costs the engine far more for 100 hits than for 10).
        found = self._compute(searcher, text, filters, relevance, want, facets)
        self._cache.put(key, found)
        return found

    def _compute(
        self,
        searcher: tantivy.Searcher,
        text: tantivy.Query | None,
        filters: list[tantivy.Query],
        relevance: bool,
        want: int,
        facets: bool,
    ) -> Found:
        query = self._build.combine(text, filters)
        if relevance:
            total, head = ranked(searcher, query, want)
        else:
            result = searcher.search(query, want, count=True, order_by_field="order")
            total, head = counted(result), [(0.0, key, address) for key, address in result.hits]
        counts = facet_dict(searcher.aggregate(query, _AGGREGATION)) if facets and total else None
        if facets and not total:
            counts = {field: {} for field in FACET_FIELDS}
        return Found(searcher, total, counts, head)

    def _after(
        self,
        searcher: tantivy.Searcher,
        text: tantivy.Query | None,
        filters: list[tantivy.Query],
        relevance: bool,
        after: tuple[Any, ...],
        size: int,
    ) -> list[tuple[float, str, tantivy.DocAddress]]:
        """The ``size`` hits after the sort key ``after``: (order,) by date, (score, order) by relevance."""
        if size <= 0:
            return []
        if len(after) != (2 if relevance else 1) or not _ORDER.fullmatch(str(after[-1])):
            raise ValueError("the cursor does not fit this sort")
        mark = str(after[-1])
        if not relevance:
            before = self._index.parse_query(f"order:<{mark}")
            query = self._build.combine(text, [*filters, before])
            result = searcher.search(query, size, count=False, order_by_field="order")
            return [(0.0, key, address) for key, address in result.hits]
        score = float(after[0])
        query = self._build.combine(text, filters)
        want = size * 2
        while True:
            total, found = ranked(searcher, query, want)
            keyed = [(s, k or order_of(searcher, a), a) for s, k, a in found]
            following = [h for h in keyed if h[0] < score or (h[0] == score and h[1] < mark)]
            if len(following) >= size or len(found) >= total:
                return following[:size]
            want *= 2

    def _hits(
        self,
        searcher: tantivy.Searcher,
        page: list[tuple[float, str, tantivy.DocAddress]],
        text: str | None,
        relevance: bool,
    ) -> list[Hit]:
        want = wanted(text, self._words) if text else None
        hits: list[Hit] = []
        for score, key, address in page:
            doc = searcher.doc(address)
            order = key or str(doc.get_first("order"))
            highlights: dict[str, list[str]] = {}
            if want:  # the description only when the title has no match
                for field in HIGHLIGHTED:
                    stored = doc.get_first(SHOWN[field])
                    shown = bytes(stored).decode("utf-8") if stored else ""
                    found = marked(shown, self._words, want, field != "title") if shown else None
                    if found is not None:
                        highlights[field] = [found]
                        break
            hits.append(
                StoredHit(
                    str(doc.get_first("id")),
                    score if relevance else 0.0,
                    doc,
                    highlights,
                    (score, order) if relevance else (order,),
                    bytes(doc.get_first("card") or b""),
                )
            )
        return hits
