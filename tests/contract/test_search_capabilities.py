"""Contract checks beyond plain matching: ranking, stemming bounds and the declared capabilities.

Highlighting, suggestions and deep paging run only on backends whose ``capabilities`` declare them
(and skip, saying so, elsewhere). Expectations come from corpus.json in plain Python.
"""

from __future__ import annotations

import html
import re
import unicodedata

import pytest

from hub.search.base import SearchIndex, SearchQuery
from normalizers.resource import Resource
from tests.contract.conftest import Backend

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_EM = re.compile(r"<em>(.*?)</em>")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))


def tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))


def words_of(resource: Resource) -> set[str]:
    texts = [*resource.title.values(), *resource.description.values(), *resource.subjects]
    return {w for t in texts for w in tokens(t)}


def date_order(resources: list[Resource]) -> list[str]:
    ordered = sorted(resources, key=lambda r: r.id)
    return [r.id for r in sorted(ordered, key=lambda r: r.display_date() or "", reverse=True)]


def need(index: SearchIndex, capability: str) -> None:
    if not getattr(index.capabilities, capability):
        pytest.skip(f"{type(index).__name__} does not declare the {capability} capability")


# --- ranking -----------------------------------------------------------------------------------


def exact_title_cases(corpus: list[Resource]) -> list[tuple[str, str]]:
    """(title, id) where exactly one record has this title and other records hold all its words."""
    words = {r.id: words_of(r) for r in corpus}
    titles = {r.id: {fold(t) for t in r.title.values()} for r in corpus}
    cases: list[tuple[str, str]] = []
    for resource in corpus:
        for title in resource.title.values():
            needed = set(tokens(title))
            if not needed or _CJK.search(title):
                continue
            others = [rid for rid in words if rid != resource.id and needed <= words[rid]]
            twins = [rid for rid in titles if rid != resource.id and fold(title) in titles[rid]]
            if others and not twins:
                cases.append((title, resource.id))
    return sorted(cases, key=lambda case: (len(case[0]), case[1]))


def test_exact_title_ranks_first(loaded: SearchIndex, corpus: list[Resource]) -> None:
    cases = exact_title_cases(corpus)
    assert len(cases) >= 2, "the corpus needs titles whose words other records also hold"
    for title, rid in cases:
        page = loaded.search(SearchQuery(text=title, size=5))
        assert page.total >= 2, title
        assert page.hits[0].id == rid, title


def test_relevance_without_text_is_date_order(loaded: SearchIndex, corpus: list[Resource]) -> None:
    page = loaded.search(SearchQuery(sort="relevance", size=len(corpus)))
    assert [h.id for h in page.hits] == date_order(corpus)


# --- stemming stays close to the word ----------------------------------------------------------

CLOSE_WORDS = ["biodiversity", "ecosystemes", "regional", "dialogue", "животные", "заболеваний"]


@pytest.mark.parametrize("word", CLOSE_WORDS)
def test_matches_share_the_words_stem(
    loaded: SearchIndex, corpus: list[Resource], backend: Backend, word: str
) -> None:
    folded = fold(word)
    holding = {r.id for r in corpus if folded in words_of(r)}
    assert holding, f"the corpus no longer holds {word!r}"
    hits = loaded.search(SearchQuery(text=word, size=len(corpus), facets=False)).hits
    got = {h.id for h in hits}
    assert holding <= got
    if backend.exact_text:
        assert got == holding
    stem = folded[: max(4, len(folded) - 4)]
    for hit in hits:  # other forms of the word (stemming), never unrelated records
        assert any(w.startswith(stem) for w in words_of(hit.resource)), (word, hit.id)


# --- highlighting ------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["ecosystemes", "Животные", "regional"])
def test_highlights_mark_the_matched_words(loaded: SearchIndex, corpus: list[Resource], word: str) -> None:
    need(loaded, "highlight")
    folded = fold(word)
    stem = folded[: max(4, len(folded) - 4)]
    hits = loaded.search(SearchQuery(text=word, size=len(corpus))).hits
    titled = [h for h in hits if any(folded in tokens(t) for t in h.resource.title.values())]
    assert titled, f"the corpus has no title with {word!r}"
    for hit in titled:
        marked = [m for fragments in hit.highlights.values() for f in fragments for m in _EM.findall(f)]
        assert any(fold(html.unescape(m)) == folded for m in marked), (hit.id, hit.highlights)
    for hit in hits:
        for field, fragments in hit.highlights.items():
            assert field in ("title", "description")  # the documented keys (docs/http-api.md), every engine
            for fragment in fragments:
                for mark in _EM.findall(fragment):
                    assert fold(html.unescape(mark)).startswith(stem), (hit.id, mark)


def test_no_text_no_highlights(loaded: SearchIndex) -> None:
    need(loaded, "highlight")
    assert all(not h.highlights for h in loaded.search(SearchQuery(size=10)).hits)


# --- suggestions -------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["Regio", "régio", "Sub", "Жив", "直接", "GBF-T1"])
def test_suggestions_are_titles_starting_with_the_prefix(
    loaded: SearchIndex, corpus: list[Resource], prefix: str
) -> None:
    need(loaded, "suggest")
    matching = {r.id: {t for t in r.title.values() if fold(t).startswith(fold(prefix))} for r in corpus}
    matching = {rid: titles for rid, titles in matching.items() if titles}
    assert matching, f"no title starts with {prefix!r}"
    size = 10
    suggestions: list[str] = loaded.suggest(prefix, size)  # type: ignore[attr-defined]
    allowed = set().union(*matching.values())
    assert set(suggestions) <= allowed
    assert len(suggestions) == len(set(suggestions))
    if len(matching) <= size:  # every record with such a title is represented by one of its titles
        for rid, titles in matching.items():
            assert titles & set(suggestions), (rid, titles, suggestions)
    else:
        assert len(suggestions) == size


def test_suggest_never_raises(loaded: SearchIndex) -> None:
    need(loaded, "suggest")
    for prefix in ["", " ", "\x1f", "\ud800", "\x00abc", "zzzzqqq", "x" * 5000]:
        assert isinstance(loaded.suggest(prefix, 5), list)  # type: ignore[attr-defined]
    assert loaded.suggest("zzzzqqq", 5) == []  # type: ignore[attr-defined]


# --- deep paging -------------------------------------------------------------------------------


def test_deep_pages_match_the_full_order(loaded: SearchIndex, corpus: list[Resource]) -> None:
    need(loaded, "deep_paging")
    window = int(getattr(loaded, "max_result_window", 10_000))
    assert window < len(corpus), "the cluster fixture sets a small result window to exercise this"
    full = date_order(corpus)
    for offset in (window - 3, window, window + 7, len(corpus) - 2, len(corpus), len(corpus) + 5):
        page = loaded.search(SearchQuery(sort="date", offset=offset, size=10))
        assert page.total == len(corpus)
        assert [h.id for h in page.hits] == full[offset : offset + 10], offset
    wide = loaded.search(SearchQuery(sort="date", offset=3, size=window * 3))
    assert [h.id for h in wide.hits] == full[3 : 3 + window * 3]


def test_deep_pages_of_a_text_query_concatenate(loaded: SearchIndex) -> None:
    need(loaded, "deep_paging")
    query = SearchQuery(text="the", sort="relevance", size=1000, facets=False)
    full = [h.id for h in loaded.search(query).hits]
    window = int(getattr(loaded, "max_result_window", 10_000))
    assert len(full) > window, "the query must match more records than the result window"
    pages: list[str] = []
    for offset in range(0, len(full), 6):
        step = SearchQuery(text="the", sort="relevance", offset=offset, size=6, facets=False)
        pages.extend(h.id for h in loaded.search(step).hits)
    assert pages == full
