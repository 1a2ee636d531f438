"""Highlights of the embedded index: the query's words marked in a hit's stored title or description.

The stored text is cut into words by the same pattern as the index's tokenizer, and the same
analyzer folds them (one call per text), so a word is marked exactly when the index would match it
(stems aside: another form of a word is found but not marked). Cheaper than Tantivy's snippet
generator, which re-reads and re-scores the text for every hit. An ASCII text is marked without the
analyzer: its words are runs of ASCII letters and digits, which the analyzer only lower-cases, so one
case-insensitive pattern of the query's ASCII words finds exactly the words the analyzer would.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

import regex
import tantivy

from hub.search.fts_text import MAX_QUERY_CHARS, MAX_QUERY_TERMS, fold

WORD = regex.compile(r"[\p{L}\p{N}\p{M}\p{Co}]+")  # the tokenizer's pattern (tantivy_schema._WORD)
LONGEST = 80  # bytes: longer words are dropped by the analyzer (remove_long)
FRAGMENT = 160  # characters of a description shown around its first matched word
BEFORE = 40  # of which, at most, before it
SCANNED = 480  # characters of a description looked at: a match further in is not shown


_ACCENTS = re.compile("[\u0300-\u036f]+")
_ASCII_WORD = re.compile(rf"(?<![A-Za-z0-9])[A-Za-z0-9]{{1,{LONGEST - 1}}}(?![A-Za-z0-9])")


@dataclass(frozen=True, slots=True)
class Wanted:
    """The folded words of a query, and the folded prefixes (a term ending in ``*``); ``ascii``: the
    words and prefixes an ASCII text can hold, as one pattern (None when there are none)."""

    words: frozenset[str]
    prefixes: tuple[str, ...]
    ascii: re.Pattern[str] | None = field(default=None, compare=False)

    def __bool__(self) -> bool:
        return bool(self.words or self.prefixes)

    def matches(self, word: str) -> bool:
        return word in self.words or (bool(self.prefixes) and word.startswith(self.prefixes))


def wanted(text: str, analyzer: tantivy.TextAnalyzer) -> Wanted:
    """What to mark for this query text (analysed as the query builder analyses it)."""
    words: set[str] = set()
    prefixes: list[str] = []
    for token in fold(text[:MAX_QUERY_CHARS]).split()[:MAX_QUERY_TERMS]:
        found = analyzer.analyze(token.rstrip("*"))
        if token.endswith("*") and found:
            prefixes.append(found.pop())
        words.update(found)
    return Wanted(frozenset(words), tuple(prefixes), _ascii_pattern(words, prefixes))


def _ascii_pattern(words: set[str], prefixes: list[str]) -> re.Pattern[str] | None:
    """Whole ASCII words equal to a wanted word or starting with a prefix (shorter than LONGEST,
    as the analyzer keeps them), case ignored."""
    alternatives = [re.escape(w) for w in sorted(words, key=len, reverse=True) if w.isascii()]
    alternatives += [
        re.escape(p) + f"[A-Za-z0-9]{{0,{LONGEST - 1 - len(p)}}}"
        for p in prefixes
        if p.isascii() and len(p) < LONGEST
    ]
    if not alternatives:
        return None
    body = "|".join(alternatives)
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])", re.ASCII | re.IGNORECASE)


def marked(text: str, analyzer: tantivy.TextAnalyzer, want: Wanted, fragment: bool) -> str | None:
    """``text`` (a ``fragment`` of it around the first match) HTML-escaped with the wanted words in
    <em>; None when no word matches (or the text does not cut as the index cut it)."""
    if fragment:
        text = text[:SCANNED]
    if text.isascii():
        return _marked_ascii(text, want, fragment)
    if not _may_hold(text, want):
        return None
    folded = analyzer.analyze(text)
    if want.words.isdisjoint(folded) and not (
        want.prefixes and any(w.startswith(want.prefixes) for w in folded)
    ):
        return None
    matching = [i for i, word in enumerate(folded) if want.matches(word)]
    if not matching:
        return None
    spans: list[tuple[int, int]] = []  # the words' places, as far as the last match
    for match in WORD.finditer(text):
        begin, end = match.span()
        if end - begin >= LONGEST // 4 and len(text[begin:end].encode("utf-8")) >= LONGEST:
            continue  # dropped by the analyzer: not among ``folded``
        spans.append((begin, end))
        if len(spans) > matching[-1]:
            break
    if len(spans) <= matching[-1]:
        return None
    hits = [spans[i] for i in matching]
    start, end = 0, len(text)
    if fragment and len(text) > FRAGMENT:
        first = hits[0][0]
        start = max(0, first - BEFORE)
        start = next((s for s, _ in spans if s >= start), first)
        end = min(len(text), start + FRAGMENT)
        hits = [(s, e) for s, e in hits if s >= start and e <= end]
    return _emphasised(text, hits, start, end)


def _may_hold(text: str, want: Wanted) -> bool:
    """False only when no word of ``text`` can be a wanted word or start with a wanted prefix: a text
    whose letters are ASCII letters with accents (canonical decomposition: an ASCII letter and marks
    U+0300-U+036F, folded by the analyzer to that letter) holds its folded words, lower-cased, once
    the marks are dropped. Other texts may hold anything."""
    stripped = _ACCENTS.sub("", unicodedata.normalize("NFD", text))
    if not stripped.isascii():
        return True
    stripped = stripped.lower()
    return any(w in stripped for w in want.words) or any(p in stripped for p in want.prefixes)


def _marked_ascii(text: str, want: Wanted, fragment: bool) -> str | None:
    """``marked`` for an ASCII text: the same words found by one pattern instead of the analyzer."""
    if want.ascii is None:
        return None
    hits = [match.span() for match in want.ascii.finditer(text)]
    if not hits:
        return None
    start, end = 0, len(text)
    if fragment and len(text) > FRAGMENT:
        first = hits[0][0]
        word = _ASCII_WORD.search(text, max(0, first - BEFORE))  # the first word from there on
        start = word.start() if word is not None and word.start() <= first else first
        end = min(len(text), start + FRAGMENT)
        hits = [(s, e) for s, e in hits if s >= start and e <= end]
    return _emphasised(text, hits, start, end)


def _emphasised(text: str, hits: list[tuple[int, int]], start: int, end: int) -> str:
    """text[start:end] HTML-escaped, each of ``hits`` (in order, inside it) in <em>."""
    out: list[str] = []
    at = start
    for s, e in hits:
        out.append(html.escape(text[at:s], quote=False))
        out.append("<em>" + html.escape(text[s:e], quote=False) + "</em>")
        at = e
    out.append(html.escape(text[at:end], quote=False))
    return "".join(out)
