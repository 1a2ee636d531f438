"""The SearchIndex contract, run against every backend on the real-data corpus: holding and getting,
facet filters, sorting and paging, writing (free text: test_search_text.py).

Expectations are computed from corpus.json by the reference model (tests/contract/reference.py), never
taken from a backend.
"""

import re
from collections import Counter

import pytest

from hub.search.base import FACET_FIELDS, SearchIndex
from normalizers.resource import Resource
from tests.contract.conftest import Backend
from tests.contract.reference import (
    ALL,
    all_ids,
    assert_facets_ordered,
    by_date,
    expected_facets,
    facet_values,
    has_word,
    ids_of,
    run,
    select,
)

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
