"""The contract's filter-only fields on both backends: region (named, or through a record's countries),
GBF goal and indicator, and the date range; expectations read from the corpus and the country data."""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources

import pytest

from hub.search.base import SearchIndex
from normalizers.resource import Resource
from tests.contract.reference import ALL, by_date, expected_facets, run, select


def country_regions() -> dict[str, set[str]]:
    """ISO alpha-2 -> its M49 regions and CBD group, straight from the shipped country data."""
    data = json.loads(resources.files("normalizers").joinpath("data", "countries.json").read_text("utf-8"))
    return {
        c["iso2"]: {*c["m49_regions"], *([c["cbd_group"]] if c.get("cbd_group") else [])}
        for c in data["countries"]
    }


def regions_of_record(resource: Resource, table: dict[str, set[str]]) -> set[str]:
    return set(resource.regions) | {r for code in resource.countries for r in table.get(code, set())}


def test_region_matches_records_through_their_countries(loaded: SearchIndex, corpus: list[Resource]) -> None:
    table = country_regions()
    counts = Counter(r for resource in corpus for r in regions_of_record(resource, table))
    assert counts, "the corpus has records with countries"
    (first, _), (second, _) = counts.most_common(2)
    for wanted in ((first,), (first, second)):
        matched = [r for r in corpus if regions_of_record(r, table) & set(wanted)]
        page = run(loaded, size=ALL, region=wanted)
        assert page.total == len(matched)
        assert [h.id for h in page.hits] == by_date(matched)
        assert page.facets == expected_facets(matched)
    assert run(
        loaded, region=("029",)
    ).total == len(  # the Caribbean: none of the corpus's countries, or some
        select(corpus, lambda r: "029" in regions_of_record(r, table))
    )


def tagged(corpus: list[Resource]) -> list[Resource]:
    """The corpus with GBF goals and indicators given to some records (the corpus itself has none)."""
    out = []
    for n, resource in enumerate(corpus):
        goals = ["GBF-GOAL-A"] if n % 3 == 0 else ["GBF-GOAL-B", "GBF-GOAL-C"] if n % 5 == 0 else []
        indicators = ["GBF-INDICATOR-A.1"] if n % 4 == 0 else []
        out.append(resource.model_copy(update={"gbf_goals": goals, "gbf_indicators": indicators}))
    return out


def test_goal_and_indicator_filters(empty_index: SearchIndex, corpus: list[Resource]) -> None:
    records = tagged(corpus)
    empty_index.add(records)
    empty_index.refresh()
    for field, attribute, values in (
        ("goal", "gbf_goals", ("GBF-GOAL-A",)),
        ("goal", "gbf_goals", ("GBF-GOAL-C", "GBF-GOAL-A")),
        ("indicator", "gbf_indicators", ("GBF-INDICATOR-A.1",)),
    ):
        matched = [r for r in records if set(getattr(r, attribute)) & set(values)]
        assert matched
        page = run(empty_index, size=ALL, **{field: values})
        assert [h.id for h in page.hits] == by_date(matched), (field, values)
    both = select(records, lambda r: "GBF-GOAL-A" in r.gbf_goals and "GBF-INDICATOR-A.1" in r.gbf_indicators)
    page = run(empty_index, size=ALL, goal=("GBF-GOAL-A",), indicator=("GBF-INDICATOR-A.1",))
    assert [h.id for h in page.hits] == by_date(both)
    assert run(empty_index, goal=("GBF-GOAL-D",)).total == 0


@pytest.mark.parametrize(
    ("low", "high"), [("2023-01-01", "2025-12-31"), ("2025-06-01", None), (None, "2017-12-31")]
)
def test_date_range_is_inclusive_and_leaves_undated_records_out(
    loaded: SearchIndex, corpus: list[Resource], low: str | None, high: str | None
) -> None:
    def inside(resource: Resource) -> bool:
        day = resource.display_date()
        return day is not None and (low is None or day >= low) and (high is None or day <= high)

    matched = select(corpus, inside)
    assert matched and len(matched) < len(corpus)
    page = run(loaded, size=ALL, date_from=low, date_until=high)
    assert [h.id for h in page.hits] == by_date(matched)
    assert page.facets == expected_facets(matched)
    types = Counter(r.type for r in matched).most_common(1)[0][0]
    narrowed = run(loaded, size=ALL, date_from=low, date_until=high, type=(types,))
    assert [h.id for h in narrowed.hits] == by_date(select(matched, lambda r: r.type == types))


def test_a_date_on_the_bound_is_inside(loaded: SearchIndex, corpus: list[Resource]) -> None:
    day = next(r.display_date() for r in corpus if r.display_date())
    assert day is not None
    page = run(loaded, size=ALL, date_from=day, date_until=day)
    assert [h.id for h in page.hits] == by_date(select(corpus, lambda r: r.display_date() == day))
