"""The SearchIndex contract on free text: words in every language, AND-ed words, prefixes, relevance,
facets of a text match, and hostile text that must never raise. Expectations from the reference model."""

import re

import pytest

from hub.search.base import SearchIndex
from normalizers.resource import Resource
from tests.contract.conftest import Backend
from tests.contract.reference import (
    ALL,
    CJK,
    all_ids,
    expected_facets,
    fold,
    has_prefix,
    has_word,
    ids_of,
    run,
    select,
)

# --- free text ---------------------------------------------------------------------------------


WORDS = [
    pytest.param("biodiversity", id="en"),
    pytest.param("ecosystemes", id="fr-accents-folded"),
    pytest.param("biodiversite", id="fr-biodiversite"),
    pytest.param("régional", id="fr-accented-query"),
    pytest.param("REGIONAL", id="case"),
    pytest.param("diálogo", id="es"),
    pytest.param("الكائنات", id="ar"),
    pytest.param("المُحوَّرة", id="ar-harakat"),
    pytest.param("животные", id="ru"),
    pytest.param("改性活生物体", id="zh-word"),
    pytest.param("生物", id="zh-two-chars"),
    pytest.param("國際貿易", id="zh-traditional"),
    pytest.param("タイトル", id="ja"),
]


@pytest.mark.parametrize("word", WORDS)
def test_text_finds_every_record_with_the_word(
    ix: SearchIndex, backend: Backend, corpus: list[Resource], word: str
) -> None:
    expected = ids_of(select(corpus, lambda r: has_word(r, word)))
    assert expected, f"the corpus no longer holds {word!r}: pick another word"
    got = all_ids(ix, text=word)
    assert len(got) == len(set(got)) == run(ix, text=word).total
    assert expected <= set(got)
    if backend.exact_text:
        assert set(got) == expected


def test_every_title_word_finds_its_record(ix: SearchIndex, corpus: list[Resource]) -> None:
    for resource in corpus:
        for title in resource.title.values():
            if CJK.search(title):
                continue
            word = max(re.findall(r"[^\W_]+", fold(title)), key=len, default="")
            if word:
                assert resource.id in all_ids(ix, text=word), (resource.id, word)


def test_several_words_are_and_ed(ix: SearchIndex, backend: Backend, corpus: list[Resource]) -> None:
    expected = ids_of(select(corpus, lambda r: has_word(r, "regional") and has_word(r, "biodiversity")))
    assert expected
    got = set(all_ids(ix, text="regional biodiversity"))
    assert expected <= got
    if backend.exact_text:
        assert got == expected


def test_trailing_star_is_a_prefix(ix: SearchIndex, backend: Backend, corpus: list[Resource]) -> None:
    expected = ids_of(select(corpus, lambda r: has_prefix(r, "biodiv")))
    got = set(all_ids(ix, text="biodiv*"))
    assert expected and expected <= got
    if backend.exact_text:
        assert got == expected
        assert set(all_ids(ix, text="biodiv")) == ids_of(select(corpus, lambda r: has_word(r, "biodiv")))


def test_unknown_word_matches_nothing(ix: SearchIndex) -> None:
    page = run(ix, text="zzyzxqwv")
    assert page.total == 0
    assert page.hits == []


def test_relevance_ranks_title_matches_first(ix: SearchIndex, corpus: list[Resource]) -> None:
    def in_title(r: Resource) -> bool:
        return "biodiversity" in {w for t in r.title.values() for w in re.findall(r"[^\W_]+", fold(t))}

    hits = run(ix, text="biodiversity", size=ALL).hits
    assert any(not in_title(h.resource) for h in hits), "the corpus needs a description-only match"
    assert in_title(hits[0].resource)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_text_facets_count_the_matched_set(ix: SearchIndex) -> None:
    page = run(ix, text="biodiversity", size=2)
    matched = [h.resource for h in run(ix, text="biodiversity", size=ALL).hits]
    assert page.total == len(matched)
    assert page.facets == expected_facets(matched)


HOSTILE = [
    '"',
    '""',
    '"unbalanced',
    "AND OR NOT (",
    "NOT",
    "(",
    ")",
    "*",
    "**",
    "a**",
    ":",
    "title:biodiversity",
    "-",
    "-biodiversity",
    "+",
    "^",
    "NEAR",
    "NEAR(a b, 3)",
    "a NEAR b",
    "{title}: x",
    "col : x",
    "'",
    "\\",
    "%_",
    "\x00",
    "\ud800",
    "\U0001f600 \u200b \ufeff \u202e",
    "🦜🌿",
    "\u0301\u0301",
    "x" * 5000,
    " ".join(["biodiversity"] * 500),
    "\t\n\r",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_never_raises(ix: SearchIndex, text: str) -> None:
    page = run(ix, text=text, size=5)
    assert page.total >= 0
    assert len(page.hits) <= 5


@pytest.mark.parametrize("text", ['"', "*", ":", "-", "AND OR NOT (", "NEAR"])
def test_operator_only_text_is_not_an_error(ix: SearchIndex, text: str) -> None:
    page = run(ix, text=text, size=0)
    assert page.hits == []


def test_hostile_filter_values_never_raise(ix: SearchIndex) -> None:
    for value in HOSTILE:
        page = run(ix, country=(value,), type=(value,), source=(value,), target=(value,), language=(value,))
        assert page.total == 0
