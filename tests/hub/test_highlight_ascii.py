"""Highlights of ASCII texts (marked by one pattern, without the analyzer) mark what the analyzer would."""

from __future__ import annotations

import pytest

from hub.search.highlight import BEFORE, FRAGMENT, LONGEST, marked, wanted
from hub.search.tantivy_schema import WORDS, analyzers

WORDS_ANALYZER = analyzers()[WORDS]


def mark(text: str, query: str, fragment: bool = False) -> str | None:
    return marked(text, WORDS_ANALYZER, wanted(query, WORDS_ANALYZER), fragment)


def test_whole_words_any_case_and_nothing_inside_words() -> None:
    text = "Forests & forest-edge FOREST <b>reforest</b> forest2"
    assert (
        mark(text, "forest")
        == "Forests &amp; <em>forest</em>-edge <em>FOREST</em> &lt;b&gt;reforest&lt;/b&gt; forest2"
    )
    assert mark(text, "fores*") == (
        "<em>Forests</em> &amp; <em>forest</em>-edge <em>FOREST</em> &lt;b&gt;reforest&lt;/b&gt; "
        "<em>forest2</em>"
    )
    assert mark(text, "wetland") is None


def test_accented_query_words_mark_ascii_text_and_unknown_words_do_not() -> None:
    assert mark("Ecosystemes marins", "écosystèmes") == "<em>Ecosystemes</em> marins"
    assert mark("Ecosystemes marins", "экосистемы") is None


def test_words_the_analyzer_drops_are_not_marked() -> None:
    long = "forest" + "x" * (LONGEST - 6)  # LONGEST bytes: dropped by remove_long
    assert mark(f"{long} forest", "fores*") == f"{long} <em>forest</em>"


@pytest.mark.parametrize("query", ["forest", "fore*", "wetland forest", "forest wetland*"])
def test_same_marks_as_the_analyzer_path(query: str) -> None:
    """The same words with one non-ASCII word added (which makes marked() use the analyzer) get the
    same marks, in a title and in a description fragment."""
    words = "the wetland and forest survey of FORESTS near wetlands " * 6
    for fragment in (False, True):
        ascii_only = mark(words + "end", query, fragment)
        analysed = mark(words + "\u00e9t\u00e9", query, fragment)
        assert ascii_only is not None and analysed is not None
        if fragment:
            assert len(ascii_only.replace("<em>", "").replace("</em>", "")) <= FRAGMENT
            assert ascii_only == analysed
        else:
            assert ascii_only.removesuffix("end") == analysed.removesuffix("\u00e9t\u00e9")


def test_fragment_starts_at_a_word_before_the_first_match() -> None:
    text = "alpha " * 30 + "forest " + "omega " * 40
    found = mark(text, "forest", fragment=True)
    first = text.index("forest")
    assert found is not None and found.startswith("alpha ") and "<em>forest</em>" in found
    assert (
        found.index("<em>") == BEFORE - 4 and first > BEFORE
    )  # 'alpha ' words from 40 before, cut to a word


def test_texts_with_accents_are_passed_over_only_when_no_word_can_match() -> None:
    assert mark("Forêts tropicales, FORÊT", "forets") == "<em>Forêts</em> tropicales, FORÊT"
    assert mark("Forêts tropicales", "foret*") == "<em>Forêts</em> tropicales"
    assert mark("Forêts tropicales", "savane") is None
    # Letters without a decomposition (ø, æ, ß) are folded by the analyzer all the same.
    assert mark("Søren Kierkegaard, Æsir", "soren aesir") == "<em>Søren</em> Kierkegaard, <em>Æsir</em>"
    assert mark("Straße und Wald", "strasse") == "<em>Straße</em> und Wald"
