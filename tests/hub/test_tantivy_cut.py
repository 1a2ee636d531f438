"""The embedded index's word fields are indexed from words cut beforehand (``tantivy_schema.words``) by
Tantivy's whitespace tokenizer: the terms must be those the regex tokenizer makes of the text itself,
which the queries and highlights still use. Checked on every code point and on the test corpora's
texts (the labelled language set, the OAI-PMH, feed and contract fixtures), for the word analyzer and
every stemming one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tantivy

from hub.search.fts_text import fold, without_cjk
from hub.search.tantivy_schema import _WORD, CUT, STEMMERS, WORDS, analyzers, words

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ANALYZERS = analyzers()
PAIRS = [(WORDS, CUT)] + [(f"gkss_stem_{lang}", f"gkss_cut_stem_{lang}") for lang in STEMMERS]
_TAG = re.compile(rb"<[^>]*>")


def _corpus() -> list[str]:
    """Texts of the test fixtures: the labelled set's texts, and the text between the tags of every
    XML, HTML and JSON fixture of OAI-PMH, feeds and the search contract."""
    texts: list[str] = []
    for line in (FIXTURES / "language_id" / "labelled.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            texts.append(line.split("\t")[-1])
    for folder in ("oai", "feeds", "contract"):
        for path in sorted((FIXTURES / folder).rglob("*")):
            if path.suffix in {".xml", ".html", ".json", ".txt", ".atom", ".rss"}:
                data = path.read_bytes()
                texts.extend(t for t in _TAG.sub(b"\n", data).decode("utf-8", "replace").split("\n\n") if t)
    return texts


CORPUS = _corpus()


def _same_terms(text: str) -> None:
    cut = words(text)
    for regex, whitespace in PAIRS:
        assert ANALYZERS[whitespace].analyze(cut) == ANALYZERS[regex].analyze(text), (regex, text[:80])


def test_the_corpus_is_large_and_many_scripted() -> None:
    assert len(CORPUS) > 1000
    joined = "".join(CORPUS)
    for letter in ("é", "ж", "ب", "中", "ñ"):  # French, Russian, Arabic, Chinese, Spanish texts among them
        assert letter in joined


@pytest.mark.parametrize(
    "prepare", [str, fold, lambda t: without_cjk(fold(t))], ids=["as is", "folded", "indexed"]
)
def test_cut_words_give_the_regex_tokenizers_terms_on_the_test_corpora(prepare: object) -> None:
    assert callable(prepare)
    for text in CORPUS:
        _same_terms(prepare(text))


def test_every_ascii_character_is_cut_as_the_regex_tokenizer_cuts_it() -> None:
    bare = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(_WORD)).build()
    for code in range(128):
        text = f"a{chr(code)}b {chr(code)}{chr(code)}x"
        assert words(text).split() == bare.analyze(text), repr(chr(code))


def test_every_code_point_alone_and_in_runs_gives_the_same_terms() -> None:
    points = [chr(c) for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(points), 4096):
        chunk = points[start : start + 4096]
        _same_terms(" ".join(chunk))  # each alone
        _same_terms("".join(chunk))  # runs of neighbours: word characters join, the others cut
        _same_terms("a".join(chunk) + "a")  # each between ASCII letters


def test_long_words_are_dropped_alike() -> None:
    for text in ("x" * 79 + " y", "x" * 80 + " y", "é" * 40 + " z", "é" * 39 + "e z"):
        _same_terms(text)
