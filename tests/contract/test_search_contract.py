"""The SearchIndex contract, run against every backend on the real-data corpus.

Expectations are computed here from corpus.json in plain Python (a reference word matcher and
collections.Counter), never taken from a backend.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable

import pytest

from hub.search.base import FACET_FIELDS, SearchIndex, SearchPage, SearchQuery
from normalizers.resource import Resource
from tests.contract.conftest import Backend

ALL = 10_000
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

# --- reference model ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case; combining marks dropped from Latin and Arabic letters (é -> e, harakat and hamza
    gone), kept elsewhere (Cyrillic й stays й)."""
    out: list[str] = []
    for c in unicodedata.normalize("NFKD", text.casefold()):
        if (
            unicodedata.category(c).startswith("M")
            and out
            and (out[-1] < "\u0250" or "\u0600" <= out[-1] <= "\u06ff")
        ):
            continue
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def texts(resource: Resource) -> list[str]:
    return [*resource.title.values(), *resource.description.values(), *resource.subjects]


def words(resource: Resource) -> set[str]:
    return {w for t in texts(resource) for w in re.findall(r"[^\W_]+", fold(t))}


def has_word(resource: Resource, word: str) -> bool:
    """Does the resource contain this word (or, for CJK text, this string) anywhere?"""
    if _CJK.search(word):
        return any(word in t for t in texts(resource))
    return fold(word) in words(resource)


def has_prefix(resource: Resource, prefix: str) -> bool:
    return any(w.startswith(fold(prefix)) for w in words(resource))


def facet_values(resource: Resource) -> dict[str, set[str]]:
    year = resource.year()
    return {
        "type": {resource.type},
        "source": {resource.source},
        "country": set(resource.countries),
        "target": set(resource.gbf_targets),
        "language": set(resource.languages) | {k for k in resource.title if k != "und"},
        "year": {str(year)} if year is not None else set(),
    }


def expected_facets(resources: Iterable[Resource]) -> dict[str, dict[str, int]]:
    counters: dict[str, Counter[str]] = {field: Counter() for field in FACET_FIELDS}
    for resource in resources:
        for field, values in facet_values(resource).items():
            counters[field].update(values)
    return {f: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for f, c in counters.items()}


def by_date(resources: Iterable[Resource]) -> list[str]:
    """Ids newest first, then by id; undated last."""
    ordered = sorted(resources, key=lambda r: r.id)
    return [r.id for r in sorted(ordered, key=lambda r: r.display_date() or "", reverse=True)]


def ids_of(resources: Iterable[Resource]) -> set[str]:
    return {r.id for r in resources}


def select(corpus: list[Resource], keep: Callable[[Resource], bool]) -> list[Resource]:
    return [r for r in corpus if keep(r)]


def run(index: SearchIndex, **kwargs: object) -> SearchPage:
    return index.search(SearchQuery(**kwargs))  # type: ignore[arg-type]


def all_ids(index: SearchIndex, **kwargs: object) -> list[str]:
    return [h.id for h in run(index, size=ALL, facets=False, **kwargs).hits]


def assert_facets_ordered(facets: dict[str, dict[str, int]]) -> None:
    for values in facets.values():
        pairs = list(values.items())
        assert pairs == sorted(pairs, key=lambda kv: (-kv[1], kv[0]))


@pytest.fixture
def ix(index: SearchIndex, corpus: list[Resource]) -> SearchIndex:
    """The backend's ``index`` (from conftest) holding the whole corpus, refreshed."""
    index.add(corpus)
    index.refresh()
    return index


# --- holding and getting -----------------------------------------------------------------------


def test_count_ids_and_get_round_trip(ix: SearchIndex, corpus: list[Resource]) -> None:
    assert ix.count() == len(corpus)
    assert sorted(ix.ids()) == sorted(r.id for r in corpus)
    for resource in corpus:
        assert ix.get(resource.id) == resource
    assert ix.get("no-such-id") is None


def test_match_all_total_order_and_facets(ix: SearchIndex, corpus: list[Resource]) -> None:
    page = run(ix, size=ALL)
    assert page.total == len(corpus)
    assert [h.id for h in page.hits] == by_date(corpus)
    assert page.facets == expected_facets(corpus)
    assert_facets_ordered(page.facets)
    for hit in page.hits[:5]:
        assert hit.resource == ix.get(hit.id)


def test_facets_cover_the_whole_match_not_the_page(ix: SearchIndex, corpus: list[Resource]) -> None:
    page = run(ix, size=1)
    assert len(page.hits) == 1
    assert page.facets == expected_facets(corpus)
    assert run(ix, size=3, facets=False).facets == {}


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
            if _CJK.search(title):
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


# --- filters -----------------------------------------------------------------------------------


def most_common(corpus: list[Resource], field: str, n: int = 1) -> list[str]:
    counter = Counter(v for r in corpus for v in facet_values(r)[field])
    return [value for value, _ in counter.most_common(n)]


@pytest.mark.parametrize("field", FACET_FIELDS)
def test_single_filter(ix: SearchIndex, corpus: list[Resource], field: str) -> None:
    value = most_common(corpus, field)[0]
    matched = select(corpus, lambda r: value in facet_values(r)[field])
    argument: tuple[object, ...] = (int(value),) if field == "year" else (value,)
    page = run(ix, size=ALL, **{field: argument})
    assert page.total == len(matched)
    assert [h.id for h in page.hits] == by_date(matched)
    assert page.facets == expected_facets(matched)


@pytest.mark.parametrize("field", ["type", "source", "country", "target", "language", "year"])
def test_values_of_one_field_are_or_ed(ix: SearchIndex, corpus: list[Resource], field: str) -> None:
    values = most_common(corpus, field, 3)
    matched = select(corpus, lambda r: bool(facet_values(r)[field] & set(values)))
    argument = tuple(int(v) for v in values) if field == "year" else tuple(values)
    page = run(ix, size=ALL, **{field: argument})
    assert page.total == len(matched)
    assert set(h.id for h in page.hits) == ids_of(matched)
    assert page.facets == expected_facets(matched)


def test_fields_are_and_ed(ix: SearchIndex, corpus: list[Resource]) -> None:
    languages = ("fr", "es")
    types = tuple(most_common(corpus, "type", 3))
    matched = select(corpus, lambda r: bool(facet_values(r)["language"] & set(languages)) and r.type in types)
    assert matched
    page = run(ix, size=ALL, language=languages, type=types)
    assert [h.id for h in page.hits] == by_date(matched)
    assert page.facets == expected_facets(matched)


def test_filter_and_text_together(ix: SearchIndex, backend: Backend, corpus: list[Resource]) -> None:
    types = ("notification", "meeting")
    expected = select(corpus, lambda r: r.type in types and has_word(r, "biodiversity"))
    assert expected
    page = run(ix, text="biodiversity", type=types, size=ALL)
    assert ids_of(expected) <= {h.id for h in page.hits}
    assert all(h.resource.type in types for h in page.hits)
    if backend.exact_text:
        assert page.facets == expected_facets(expected)


def test_filter_matching_nothing(ix: SearchIndex) -> None:
    page = run(ix, country=("ZZ",))
    assert page.total == 0
    assert page.hits == []
    assert all(not values for values in page.facets.values())


# --- sorting and paging ------------------------------------------------------------------------


def test_sort_by_date_with_text(ix: SearchIndex) -> None:
    hits = run(ix, text="biodiversity", sort="date", size=ALL).hits
    keys = [(h.resource.display_date() or "", h.id) for h in hits]
    assert [h.id for h in hits] == by_date(h.resource for h in hits)
    assert len(keys) > 2


@pytest.mark.parametrize(
    "query",
    [
        {"sort": "date"},
        {"sort": "relevance"},
        {"text": "biodiversity", "sort": "relevance"},
        {"text": "biodiversity", "sort": "date"},
        {"type": ("other", "news"), "sort": "date"},
    ],
    ids=["all-date", "all-relevance", "text-relevance", "text-date", "filter-date"],
)
def test_pages_concatenate_to_the_full_list(ix: SearchIndex, query: dict[str, object]) -> None:
    full = all_ids(ix, **query)
    total = run(ix, **query).total
    assert len(full) == total
    pages: list[str] = []
    for offset in range(0, total + 7, 7):
        page = run(ix, offset=offset, size=7, facets=False, **query)
        assert page.total == total
        pages.extend(h.id for h in page.hits)
    assert pages == full
    assert len(set(pages)) == len(pages)


def test_size_zero_and_offset_past_the_end(ix: SearchIndex, corpus: list[Resource]) -> None:
    page = run(ix, size=0)
    assert page.total == len(corpus)
    assert page.hits == []
    assert run(ix, offset=len(corpus) + 5).hits == []


# --- writing -----------------------------------------------------------------------------------


def test_delete_removes_from_results_and_facets(ix: SearchIndex, corpus: list[Resource]) -> None:
    gone = [r for r in corpus if r.type == most_common(corpus, "type")[0]][:3]
    assert ix.delete([r.id for r in gone] + ["no-such-id"]) == len(gone)
    ix.refresh()
    left = [r for r in corpus if r not in gone]
    assert ix.count() == len(left)
    page = run(ix, size=ALL)
    assert [h.id for h in page.hits] == by_date(left)
    assert page.facets == expected_facets(left)
    for resource in gone:
        assert ix.get(resource.id) is None
    assert ix.delete([r.id for r in gone]) == 0


def test_adding_again_replaces(ix: SearchIndex, corpus: list[Resource]) -> None:
    original = next(r for r in corpus if r.title.get("en") and r.countries)
    changed = original.model_copy(
        update={"title": {"en": "Quokkaphant survey"}, "countries": ["NZ"], "description": {}, "subjects": []}
    )
    assert ix.add([changed]) == 1
    assert ix.add([changed, changed]) >= 1
    ix.refresh()
    assert ix.count() == len(corpus)
    assert sorted(ix.ids()) == sorted(r.id for r in corpus)
    assert all_ids(ix, text="quokkaphant") == [original.id]
    old_word = max(re.findall(r"[^\W_]+", original.title["en"]), key=len)
    assert original.id not in all_ids(ix, text=old_word)
    assert ix.get(original.id) == changed
    expected = [changed if r.id == original.id else r for r in corpus]
    assert run(ix).facets == expected_facets(expected)


def test_add_nothing(ix: SearchIndex, corpus: list[Resource]) -> None:
    assert ix.add([]) == 0
    assert ix.delete([]) == 0
    assert ix.count() == len(corpus)


def test_reset_empties(ix: SearchIndex, corpus: list[Resource]) -> None:
    ix.reset()
    ix.refresh()
    assert ix.count() == 0
    assert list(ix.ids()) == []
    page = run(ix)
    assert page.total == 0
    assert page.hits == []
    assert all(not values for values in page.facets.values())
    assert run(ix, text="biodiversity").total == 0
    ix.add(corpus[:5])
    ix.refresh()
    assert ix.count() == 5
    assert run(ix).facets == expected_facets(corpus[:5])
