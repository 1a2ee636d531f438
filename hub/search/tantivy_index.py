"""The embedded search backend: a Tantivy index in a directory of the hub's home (or in memory).

One writer at a time across processes (a lock file held for the whole write); every process's
searches see each commit: they check the index's ``meta.json`` (a stat) and reload when it changed.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Hashable, Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import tantivy

from hub.search.base import FACET_FIELDS, FILTER_FIELDS, Capabilities, Hit, SearchPage, SearchQuery
from hub.search.fts_text import clean
from hub.search.highlight import marked, wanted
from hub.search.result_cache import Found, ResultCache
from hub.search.tantivy_files import IndexFiles
from hub.search.tantivy_query import QueryBuilder
from hub.search.tantivy_schema import SEPARATOR, SUGGEST, WORDS, analyzers, document, schema, suggestion_key
from normalizers.resource import Resource

log = logging.getLogger(__name__)

Facets = dict[str, dict[str, int]]
CACHE_SIZE = 512  # query results (total, facets, first hits) kept per generation of the index
CACHED_HITS = 100  # ordered hits a cached result keeps, so its first pages need no query
FACET_TERMS = 65_000  # distinct values counted per facet field (exact while a field has fewer)
_AGGREGATION = {field: {"terms": {"field": field, "size": FACET_TERMS}} for field in FACET_FIELDS}
_ORDER = re.compile(r"[0-9-]{10}[0-9a-f]*z")
HIGHLIGHTED = ("title", "description")
_KEYED = (*FILTER_FIELDS, "date_from", "date_until")  # what, besides the text and the sort, makes a result


def facet_dict(aggregated: dict[str, Any]) -> Facets:
    """An aggregation's buckets as {field: {value: count}}, most first then by value; every field present."""
    found: Facets = {}
    for field in FACET_FIELDS:
        buckets = aggregated.get(field, {}).get("buckets", [])
        ordered = sorted([(-b["doc_count"], b["key"]) for b in buckets])  # tuples: compared in C
        found[field] = {key: -negative for negative, key in ordered}
    return found


_RESOURCE = Hit.__dict__["resource"]  # the slot StoredHit keeps the parsed Resource in


class StoredHit(Hit):
    """A Hit whose Resource is parsed from the index's stored JSON only when asked for (a results page
    is built from ``card``, the result JSON made when the record was indexed)."""

    __slots__ = ("_json", "card")
    _json: bytes
    card: bytes

    def __init__(
        self,
        id: str,
        score: float,
        json: bytes,
        highlights: dict[str, list[str]],
        sort_key: tuple[Any, ...],
        card: bytes,
    ) -> None:
        object.__setattr__(self, "_json", json)
        object.__setattr__(self, "card", card)
        super().__init__(id, score, None, highlights, sort_key)  # type: ignore[arg-type]

    @property  # type: ignore[override]
    def resource(self) -> Resource:
        found = _RESOURCE.__get__(self)
        if found is None:
            found = Resource.model_validate_json(self._json)
            _RESOURCE.__set__(self, found)
        return found  # type: ignore[no-any-return]

    @resource.setter
    def resource(self, value: Resource | None) -> None:
        _RESOURCE.__set__(self, value)


def counted(result: tantivy.SearchResult) -> int:
    """A search's total (its stub omits ``count``)."""
    return int(result.count or 0)  # type: ignore[attr-defined]


class TantivyIndex:
    """SearchIndex on Tantivy, safe to share between threads.

    ``path`` None or ``":memory:"``: an index in memory. Otherwise a directory: created when missing,
    emptied when built by another version of the schema (then ``needs_rebuild`` is True and the hub
    refills it from the store). Results (total, facets, first hits) are cached per generation of the
    index; the browse result (no text, no filter) is computed again as soon as a commit is seen.
    """

    capabilities = Capabilities(highlight=True, suggest=True, deep_paging=False, cursor=True)

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
        self._warm()

    # --- generations -------------------------------------------------------------------------

    def _current(self) -> tuple[int, tantivy.Searcher]:
        """The generation and searcher of the latest commit (reloading when another process committed)."""
        if self._closed:
            raise ValueError("the index is closed")
        if self._files is not None:
            seen = self._files.signature()
            if seen != self._seen:
                with self._lock:
                    if seen != self._seen:
                        self._reload(seen)
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

    def _write(self, work: Any) -> Any:
        """Run ``work(writer)`` with this index's only writer, commit, and make the commit searchable."""
        if self._closed:
            raise ValueError("the index is closed")
        with self._lock, self._files.writing() if self._files is not None else nullcontext():
            writer = self._index.writer(heap_size=64_000_000, num_threads=1)
            try:
                result = work(writer)
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self._reload(self._files.signature() if self._files is not None else None)
        return result

    def add(self, resources: Iterable[Resource]) -> int:
        latest = {resource.id: resource for resource in resources}
        if not latest:
            return 0
        documents = [document(resource) for resource in latest.values()]

        def work(writer: tantivy.IndexWriter) -> int:
            for rid, doc in zip(latest, documents, strict=True):
                writer.delete_documents_by_term("id", clean(rid))
                writer.add_document(doc)
            return len(documents)

        return int(self._write(work))

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
        _, searcher = self._current()
        present = counted(searcher.search(tantivy.Query.term_set_query(self._schema, "id", wanted), 1))
        if not present:
            return 0

        def work(writer: tantivy.IndexWriter) -> None:
            for rid in wanted:
                writer.delete_documents_by_term("id", rid)

        self._write(work)
        return int(present)

    def refresh(self) -> None:
        """Every add and delete commits; this picks up commits of other processes now."""
        self._current()

    def reset(self) -> None:
        self._write(lambda writer: writer.delete_all_documents())

    def close(self) -> None:
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
            total, head = self._ranked(searcher, query, want)
        else:
            result = searcher.search(query, want, count=True, order_by_field="order")
            total, head = counted(result), [(0.0, key, address) for key, address in result.hits]
        counts = facet_dict(searcher.aggregate(query, _AGGREGATION)) if facets and total else None
        if facets and not total:
            counts = {field: {} for field in FACET_FIELDS}
        return Found(searcher, total, counts, head)

    def _order_of(self, searcher: tantivy.Searcher, address: tantivy.DocAddress) -> str:
        doc = searcher.doc(address)
        return str(doc["order"][0]) if "order" in doc.to_dict() else ""

    def _tied(
        self, searcher: tantivy.Searcher, group: list[tuple[float, tantivy.DocAddress]], need: int
    ) -> list[tuple[float, str, tantivy.DocAddress]]:
        """Hits of one score in the hub's order (date newest first, then id), exact for the first
        ``need``: dates come from the day column, and ids are read only for hits sharing a day there."""
        score = group[0][0]
        days = searcher.fast_field_values("day", [address for _, address in group])
        by_day = sorted(zip(days, (address for _, address in group), strict=True), key=lambda p: -(p[0] or 0))
        ordered: list[tuple[float, str, tantivy.DocAddress]] = []
        start = 0
        while start < len(by_day):
            end = start + 1
            while end < len(by_day) and by_day[end][0] == by_day[start][0]:
                end += 1
            same_day = [address for _, address in by_day[start:end]]
            if len(ordered) < need and len(same_day) > 1:
                keyed = sorted(
                    ((self._order_of(searcher, a), a) for a in same_day), key=lambda k: k[0], reverse=True
                )
                ordered.extend((score, key, address) for key, address in keyed)
            else:
                ordered.extend((score, "", address) for address in same_day)
            start = end
        return ordered

    def _ranked(
        self, searcher: tantivy.Searcher, query: tantivy.Query, want: int
    ) -> tuple[int, list[tuple[float, str, tantivy.DocAddress]]]:
        """The total and the first ``want`` hits by score, ties by date then id (read for tied hits only)."""
        limit = max(want, 1) + 1
        while True:
            result = searcher.search(query, limit, count=True)
            hits: list[tuple[float, tantivy.DocAddress]] = result.hits
            if len(hits) < limit or hits[min(want, len(hits)) - 1][0] != hits[-1][0]:
                break
            limit *= 2
        scores = [score for score, _ in hits]
        ordered: list[tuple[float, str, tantivy.DocAddress]] = []
        start = 0
        while start < min(want, len(hits)):
            end = start + 1
            while end < len(hits) and scores[end] == scores[start]:
                end += 1
            group = hits[start:end]
            if len(group) == 1:
                ordered.append((group[0][0], "", group[0][1]))
            else:
                ordered.extend(self._tied(searcher, group, want - len(ordered)))
            start = end
        return counted(result), ordered[:want]

    def _after(
        self,
        searcher: tantivy.Searcher,
        text: tantivy.Query | None,
        filters: list[tantivy.Query],
        relevance: bool,
        after: tuple[Any, ...],
        size: int,
    ) -> list[tuple[float, str, tantivy.DocAddress]]:
        """The ``size`` hits following the sort key ``after``: (order,) by date, (score, order) by
        relevance."""
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
            total, ranked = self._ranked(searcher, query, want)
            keyed = [(s, k or self._order_of(searcher, a), a) for s, k, a in ranked]
            following = [h for h in keyed if h[0] < score or (h[0] == score and h[1] < mark)]
            if len(following) >= size or len(ranked) >= total:
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
            order = key or str(doc["order"][0])
            highlights: dict[str, list[str]] = {}
            if want:  # the description only when the title has no match
                for field in HIGHLIGHTED:
                    stored = doc[field]
                    found = marked(str(stored[0]), self._words, want, field != "title") if stored else None
                    if found is not None:
                        highlights[field] = [found]
                        break
            hits.append(
                StoredHit(
                    str(doc["id"][0]),
                    score if relevance else 0.0,
                    doc["resource"][0],
                    highlights,
                    (score, order) if relevance else (order,),
                    doc["card"][0],
                )
            )
        return hits
