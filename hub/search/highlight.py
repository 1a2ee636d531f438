"""Highlights of the embedded index: the query's words marked in a hit's stored title or description.

The stored text is cut into words by the same pattern as the index's tokenizer, and the same
analyzer folds them (one call per text), so a word is marked exactly when the index would match it
(stems aside: another form of a word is found but not marked). Cheaper than Tantivy's snippet
generator, which re-reads and re-scores the text for every hit. An ASCII text is marked without the
analyzer: its words are runs of ASCII letters and digits, which the analyzer only lower-cases, so the
query's ASCII words found in the lower-cased text (whole runs) are exactly the words the analyzer
would find. A text of ASCII letters and accented ones is searched the same way once the accents are
dropped, its non-ASCII matches checked by the analyzer one word at a time.
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
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_ALNUM_RUN = re.compile("[A-Za-z0-9]*")


@dataclass(frozen=True, slots=True)
class Wanted:
    """The folded words of a query, and the folded prefixes (a term ending in ``*``); ``ascii_words`` and
    ``ascii_prefixes``: those an ASCII text can hold (the words longest first)."""

    words: frozenset[str]
    prefixes: tuple[str, ...]
    ascii_words: tuple[str, ...] = field(default=(), compare=False)
    ascii_prefixes: tuple[str, ...] = field(default=(), compare=False)

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
    return Wanted(
        frozenset(words),
        tuple(prefixes),
        tuple(sorted((w for w in words if w.isascii()), key=len, reverse=True)),
        tuple(p for p in prefixes if p.isascii() and len(p) < LONGEST),
    )


def marked(text: str, analyzer: tantivy.TextAnalyzer, want: Wanted, fragment: bool) -> str | None:
    """``text`` (a ``fragment`` of it around the first match) HTML-escaped with the wanted words in
    <em>; None when no word matches (or the text does not cut as the index cut it)."""
    if fragment:
        text = text[:SCANNED]
    if text.isascii():
        return _marked_ascii(text, text, want, fragment, None)
    stripped = _ACCENTS.sub("", unicodedata.normalize("NFD", text))
    if stripped.isascii():
        # Every letter is an ASCII letter or one with accents (an ASCII letter and marks U+0300-U+036F
        # in canonical decomposition), which the analyzer folds to that letter: the text holds its
        # folded words, lower-cased, once the marks are dropped.
        lowered = stripped.lower()
        if not any(w in lowered for w in want.words) and not any(p in lowered for p in want.prefixes):
            return None
        if len(stripped) == len(text):  # one letter for one: the words are where they are in ``text``
            return _marked_ascii(stripped, text, want, fragment, analyzer)
    return marked_by_analyzer(text, analyzer, want, fragment)


def marked_by_analyzer(text: str, analyzer: tantivy.TextAnalyzer, want: Wanted, fragment: bool) -> str | None:
    """``marked`` by the analyzer: the text's words folded in one call, then found in the text."""
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


def ascii_spans(text: str, want: Wanted) -> list[tuple[int, int]]:
    """Where an ASCII ``text`` holds a wanted word (a whole run of ASCII letters and digits, case
    ignored) or a word starting with a wanted prefix (shorter than LONGEST, as the analyzer keeps
    words), in order; of two at one place, a word before a prefix and a longer word before a shorter
    one. Found with ``str.find``: no pattern compiled per query."""
    lowered = text.lower()
    size = len(lowered)
    found: list[tuple[int, int, int]] = []  # (start, rank, end)
    for rank, word in enumerate(want.ascii_words):
        at = lowered.find(word)
        while at >= 0:
            end = at + len(word)
            if (at == 0 or lowered[at - 1] not in _ALNUM) and (end == size or lowered[end] not in _ALNUM):
                found.append((at, rank, end))
            at = lowered.find(word, at + 1)
    later = len(want.ascii_words)
    for prefix in want.ascii_prefixes:
        at = lowered.find(prefix)
        while at >= 0:
            if at == 0 or lowered[at - 1] not in _ALNUM:
                end = _ALNUM_RUN.match(lowered, at + len(prefix)).end()  # type: ignore[union-attr]
                if end - at < LONGEST:
                    found.append((at, later, end))
            at = lowered.find(prefix, at + 1)
    spans: list[tuple[int, int]] = []
    for start, _, end in sorted(found):
        if not spans or start >= spans[-1][1]:
            spans.append((start, end))
    return spans


def _marked_ascii(
    searched: str, shown: str, want: Wanted, fragment: bool, analyzer: tantivy.TextAnalyzer | None
) -> str | None:
    """``marked`` for a text whose words are those of the ASCII ``searched``, at the same places in
    ``shown``: found by ``ascii_spans``; a word of ``shown`` that is not ASCII is marked only when the
    ``analyzer`` folds it to a wanted word (the folding of a few letters differs from their
    decomposition)."""
    hits = ascii_spans(searched, want)
    if analyzer is not None:
        hits = [
            (s, e) for s, e in hits if shown[s:e].isascii() or _one_wanted(analyzer.analyze(shown[s:e]), want)
        ]
    if not hits:
        return None
    start, end = 0, len(shown)
    if fragment and len(shown) > FRAGMENT:
        first = hits[0][0]
        word = _ASCII_WORD.search(searched, max(0, first - BEFORE))  # the first word from there on
        start = word.start() if word is not None and word.start() <= first else first
        end = min(len(shown), start + FRAGMENT)
        hits = [(s, e) for s, e in hits if s >= start and e <= end]
    return _emphasised(shown, hits, start, end)


def _one_wanted(folded: list[str], want: Wanted) -> bool:
    return len(folded) == 1 and want.matches(folded[0])


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
