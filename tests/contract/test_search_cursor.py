"""Keyset paging on both backends: each page's last sort_key leads through the whole list once, in order."""

from __future__ import annotations

import pytest

from hub.search.base import SearchIndex, SearchQuery
from normalizers.resource import Resource
from tests.contract.reference import ALL, by_date


def walk(index: SearchIndex, size: int, **kwargs: object) -> list[str]:
    seen: list[str] = []
    after = None
    for _ in range(1000):
        page = index.search(SearchQuery(size=size, after=after, facets=False, **kwargs))  # type: ignore[arg-type]
        seen.extend(hit.id for hit in page.hits)
        if len(page.hits) < size:
            return seen
        after = page.hits[-1].sort_key
    raise AssertionError("cursor paging did not end")


QUERIES: list[dict[str, object]] = [
    {"sort": "date"},
    {"sort": "relevance"},
    {"text": "biodiversity", "sort": "relevance"},
    {"text": "biodiversity", "sort": "date"},
    {"type": ("notification", "meeting"), "sort": "date"},
    {"date_from": "2020-01-01", "sort": "date"},
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
@pytest.mark.parametrize("size", [1, 7])
def test_cursor_pages_concatenate_to_the_full_list(
    loaded: SearchIndex, query: dict[str, object], size: int
) -> None:
    assert loaded.capabilities.cursor
    full = [hit.id for hit in loaded.search(SearchQuery(size=ALL, facets=False, **query)).hits]  # type: ignore[arg-type]
    assert full, "the corpus has records for every query"
    walked = walk(loaded, size, **query)
    assert walked == full
    assert len(set(walked)) == len(walked)


def test_cursor_after_the_last_hit_is_an_empty_page(loaded: SearchIndex, corpus: list[Resource]) -> None:
    ordered = by_date(corpus)
    last = loaded.search(SearchQuery(sort="date", size=ALL, facets=False)).hits[-1]
    assert last.id == ordered[-1]
    after = loaded.search(SearchQuery(sort="date", size=5, after=last.sort_key))
    assert after.hits == [] and after.total == len(corpus), "the total still counts the whole match"
