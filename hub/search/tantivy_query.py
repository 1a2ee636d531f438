"""A SearchQuery as a Tantivy query: free text word by word over the weighted fields, exact filters, dates."""

from __future__ import annotations

import re
import unicodedata

import tantivy

from hub.search.base import SearchQuery
from hub.search.fts_text import MAX_QUERY_CHARS, MAX_QUERY_TERMS, clean, fold
from hub.search.tantivy_schema import (
    BIGRAMS,
    CJK_FIELDS,
    FACET_VALUE_FIELDS,
    FILTER_VALUE_FIELDS,
    STEM_FIELDS,
    WORD_FIELDS,
    WORDS,
    day_number,
)

_CJK = re.compile(
    "[\u2e80-\u2fdf\u3005\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0003134f]+"
)
MUST, SHOULD = tantivy.Occur.Must, tantivy.Occur.Should
# A prefix is searched as its words (scored like words, so hits rank) while it stands for at most
# this many index terms; beyond, as a pattern (every match scores alike: the date decides).
MAX_PREFIX_TERMS = 256


class QueryBuilder:
    """Builds queries against one schema with the analyzers its text fields use."""

    def __init__(self, schema: tantivy.Schema, analyzers: dict[str, tantivy.TextAnalyzer]) -> None:
        self.schema = schema
        self._words = analyzers[WORDS]
        self._stems = {field: analyzers[f"gkss_{field}"] for field in STEM_FIELDS}
        self._bigrams = analyzers[BIGRAMS]

    # --- text --------------------------------------------------------------------------------

    def text(self, text: str, searcher: tantivy.Searcher | None = None) -> tantivy.Query | None:
        """User text as a query that cannot be a syntax error: each whitespace-separated term must
        match (a trailing ``*`` makes its last word a prefix); a term's words are a phrase in one of
        title, description or subjects, or its words' stems in a text of their language. CJK runs
        are phrases of character bigrams. None when nothing searchable is left (then all match).
        ``searcher`` (the index's current one) expands prefixes to the words it holds."""
        parts: list[tantivy.Query] = []
        for token in fold(text[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_TERMS]:
            prefix = token.endswith("*")
            core = token.rstrip("*")
            for run in _CJK.findall(core):
                parts.append(
                    self._cjk(searcher, run, prefix=(prefix and core.endswith(run)) or len(run) == 1)
                )
            rest = _CJK.sub(" ", core)
            words = self._words.analyze(rest)
            if words:
                parts.append(self._words_query(searcher, words, rest, prefix and _ends_in_word(rest)))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else tantivy.Query.boolean_query([(MUST, p) for p in parts])

    def _words_query(
        self, searcher: tantivy.Searcher | None, words: list[str], raw: str, prefix: bool
    ) -> tantivy.Query:
        alternatives: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for field, weight in WORD_FIELDS.items():
            alternatives.append(
                (SHOULD, tantivy.Query.boost_query(self._phrase(searcher, field, words, prefix), weight))
            )
        if not prefix:
            for field, weight in STEM_FIELDS.items():
                stems = self._stems[field].analyze(raw)
                if stems:
                    query = self._phrase(searcher, field, stems, False, positions=False)
                    alternatives.append((SHOULD, tantivy.Query.boost_query(query, weight)))
        return tantivy.Query.boolean_query(alternatives)

    def _phrase(
        self,
        searcher: tantivy.Searcher | None,
        field: str,
        words: list[str],
        prefix: bool,
        positions: bool = True,
    ) -> tantivy.Query:
        """The words in a row in ``field`` (the last one a prefix when ``prefix``); without positions
        (stem fields) every word must be there."""
        if prefix:
            *head, last = words
            # The prefix's own characters: analysed words hold letters, digits and marks only.
            expanded = self._prefix(searcher, field, last)
            if not head:
                return expanded
            return tantivy.Query.boolean_query(
                [(MUST, self._phrase(searcher, field, head, False, positions)), (MUST, expanded)]
            )
        if len(words) == 1:
            return tantivy.Query.term_query(self.schema, field, words[0])
        if positions:
            return tantivy.Query.phrase_query(self.schema, field, _terms(words))
        return tantivy.Query.boolean_query(
            [(MUST, tantivy.Query.term_query(self.schema, field, w)) for w in words]
        )

    def _prefix(self, searcher: tantivy.Searcher | None, field: str, prefix: str) -> tantivy.Query:
        """Every index term of ``field`` starting with ``prefix``."""
        if searcher is not None:
            terms = searcher.terms_with_prefix(field, prefix, limit=MAX_PREFIX_TERMS + 1)
            if len(terms) <= MAX_PREFIX_TERMS:
                if not terms:
                    return tantivy.Query.empty_query()
                words = [tantivy.Query.term_query(self.schema, field, term) for term, _ in terms]
                return (
                    words[0] if len(words) == 1 else tantivy.Query.boolean_query([(SHOULD, w) for w in words])
                )
        # The prefix's own characters: analysed words hold letters, digits and marks only.
        return tantivy.Query.regex_query(self.schema, field, re.escape(prefix) + ".*")

    def _cjk(self, searcher: tantivy.Searcher | None, run: str, prefix: bool) -> tantivy.Query:
        grams = [run[i : i + 2] for i in range(len(run) - 1)] or [run]
        alternatives: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for field, weight in CJK_FIELDS.items():
            if prefix:
                query = self._phrase(searcher, field, grams, True)
            elif len(grams) == 1:
                query = tantivy.Query.term_query(self.schema, field, grams[0])
            else:
                query = tantivy.Query.phrase_query(self.schema, field, _terms(grams))
            alternatives.append((SHOULD, tantivy.Query.boost_query(query, weight)))
        return tantivy.Query.boolean_query(alternatives)

    # --- filters -----------------------------------------------------------------------------

    def filters(self, query: SearchQuery) -> list[tantivy.Query]:
        """One query per filtered field (its values OR-ed) and one for the date range."""
        found: list[tantivy.Query] = []
        for field in (*FACET_VALUE_FIELDS, *FILTER_VALUE_FIELDS):
            values = sorted({clean(str(v)) for v in getattr(query, field)})
            if values:
                found.append(tantivy.Query.term_set_query(self.schema, field, values))
        if query.date_from is not None or query.date_until is not None:
            low = max(1, day_number(query.date_from)) if query.date_from else 1  # undated (0) never
            high = day_number(query.date_until) if query.date_until else None
            found.append(tantivy.Query.range_query(self.schema, "day", tantivy.FieldType.Integer, low, high))
        return found

    def combine(self, text: tantivy.Query | None, filters: list[tantivy.Query]) -> tantivy.Query:
        """Text AND every filter (filters do not score)."""
        if text is None and not filters:
            return tantivy.Query.all_query()
        clauses = [(MUST, text)] if text is not None else []
        clauses.extend((MUST, tantivy.Query.const_score_query(f, 0.0)) for f in filters)
        if len(clauses) == 1 and text is not None:
            return text
        return tantivy.Query.boolean_query(clauses)


def _terms(words: list[str]) -> list[str | tuple[int, str]]:
    return list(words)


def _ends_in_word(text: str) -> bool:
    return (bool(text) and unicodedata.category(text[-1])[0] in "LNM") or unicodedata.category(
        text[-1:] or " "
    ) == "Co"
