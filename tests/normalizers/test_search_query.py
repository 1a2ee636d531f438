"""The one declaration of the search filters: it covers the query's fields, and what a peer is sent
reads back into the same query."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlencode

import pytest

from hub.search.params import filters_of_params, filters_query
from normalizers.search_query import (
    FACET_FIELDS,
    FILTER_FIELDS,
    FILTERS,
    BadSearchParameter,
    SearchQuery,
    build_query,
    query_params,
)

PAGING = {"text", "sort", "after", "offset", "size", "facets", "counts"}  # how, not what, a search matches


def test_every_query_field_but_text_sort_and_paging_is_a_declared_filter() -> None:
    fields = {f.name for f in dataclasses.fields(SearchQuery)} - PAGING
    assert fields == {f.name for f in FILTERS}
    assert len({f.param for f in FILTERS}) == len(FILTERS), "each filter has its own parameter"


def test_facets_stay_in_their_documented_order() -> None:
    assert FACET_FIELDS == ("type", "source", "country", "target", "language", "year")
    filter_only = {"region", "goal", "indicator", "target_inferred", "target_any"}
    assert set(FILTER_FIELDS) == filter_only | set(FACET_FIELDS)


def test_what_a_peer_is_sent_reads_back_into_the_same_query() -> None:
    query = build_query(
        "coral reefs",
        type=["notification", "meeting"],
        source=["cbd-meetings"],
        country=["ke", "CA"],
        target=["3", "GBF-TARGET-22"],
        language=["fr"],
        year=[2024, 2025],
        region=["eastern-africa"],
        goal=["A"],
        indicator=["A.1"],
        target_inferred=["5"],
        target_any=["7"],
        date_from="2024-01-01",
        date_until="2025-06-30",
    )
    params = query_params(query)
    # target_basis is sent only when it is not the default (then the targets move, below)
    assert {name for name, _ in params} == {"q", *(f.param for f in FILTERS)} - {"target_basis"}
    again = filters_query(filters_of_params(parse_qs(urlencode(params))))
    assert again == query


def test_target_basis_moves_the_targets_and_a_peer_reads_it_back() -> None:
    query = build_query(target=["3"], target_basis="inferred")
    assert (query.target, query.target_inferred, query.target_any) == ((), ("GBF-TARGET-03",), ())
    params = query_params(query)
    assert ("target_basis", "inferred") in params and ("target_inferred", "GBF-TARGET-03") in params
    assert filters_query(filters_of_params(parse_qs(urlencode(params)))) == query
    assert build_query(target=["3"], target_basis="any").target_any == ("GBF-TARGET-03",)
    assert build_query(target=["3"], target_basis="stated").target_basis is None


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("target", ["99"], "unknown GBF target"),
        ("region", ["atlantis"], "unknown region"),
        ("goal", ["Z"], "unknown GBF goal"),
        ("indicator", ["Z.9"], "unknown GBF indicator"),
        ("year", ["twenty"], "year must be a four-digit year"),
        ("date_from", "2024-13-01", "from must be a date"),
    ],
)
def test_a_value_a_filter_cannot_read_is_named_in_the_error(name: str, value: object, message: str) -> None:
    with pytest.raises(BadSearchParameter, match=message):
        build_query(**{name: value})
