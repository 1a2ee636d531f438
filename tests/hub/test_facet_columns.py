"""Facet counts from the embedded index's in-memory columns equal those counted from the corpus itself."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hub.search.base import SearchQuery
from hub.search.sqlite_fts import SqliteFtsIndex
from normalizers.resource import Resource
from tests.contract.conftest import load_corpus
from tests.contract.test_search_contract import expected_facets

ALL = 10_000


@pytest.fixture
def corpus() -> list[Resource]:
    return load_corpus()


@pytest.fixture
def columns_index(tmp_path: Path, corpus: list[Resource]) -> SqliteFtsIndex:
    """Every match counts its facets from the columns (threshold 0), no result cache."""
    index = SqliteFtsIndex(tmp_path / "index.sqlite", cache_size=0, facet_columns_min=0)
    index.add(corpus)
    index.load_facet_columns()
    return index


def matched(index: SqliteFtsIndex, **query: object) -> list[Resource]:
    return [h.resource for h in index.search(SearchQuery(size=ALL, facets=False, **query)).hits]  # type: ignore[arg-type]


QUERIES = [
    pytest.param({"text": "biodiversity"}, id="word"),
    pytest.param({"text": "biodiv*"}, id="prefix"),
    pytest.param({"text": "生物"}, id="cjk"),
    pytest.param({"type": ("document",)}, id="type-filter"),
    pytest.param({"text": "biodiversity", "sort": "date"}, id="word-by-date"),
    pytest.param({"text": "zzzznotaword"}, id="nothing"),
]


@pytest.mark.parametrize("query", QUERIES)
def test_columns_count_what_the_corpus_holds(columns_index: SqliteFtsIndex, query: dict[str, object]) -> None:
    page = columns_index.search(SearchQuery(size=3, **query))  # type: ignore[arg-type]
    found = matched(columns_index, **query)
    assert page.total == len(found)
    assert page.facets == expected_facets(found)


def test_columns_and_sql_count_alike(tmp_path: Path, columns_index: SqliteFtsIndex) -> None:
    in_sql = SqliteFtsIndex(tmp_path / "index.sqlite", cache_size=0, facet_columns_min=10**9)
    for text in ("biodiversity", "species", "marine", "convention", "diversité"):
        query = SearchQuery(text=text, size=1)
        assert columns_index.search(query).facets == in_sql.search(query).facets
    in_sql.close()


def test_a_write_makes_them_stale_counts_stay_exact_and_they_reload(
    columns_index: SqliteFtsIndex, corpus: list[Resource]
) -> None:
    facets = columns_index._facets
    assert facets is not None
    before = facets.columns
    assert before is not None
    changes = {"id": "extra-record", "native_id": "extra-record", "countries": ["KE"]}
    extra = corpus[0].model_copy(update=changes)
    columns_index.add([extra])
    query = SearchQuery(text="biodiversity", size=1)
    # Stale columns: this search counts in SQL (and has the columns reloaded in the background).
    assert columns_index.search(query).facets == expected_facets(matched(columns_index, text="biodiversity"))
    deadline = time.monotonic() + 30
    while facets.columns is before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert facets.columns is not before, "the columns were not reloaded after the write"
    assert columns_index.search(query).facets == expected_facets(matched(columns_index, text="biodiversity"))
    columns_index.delete(["extra-record"])
    assert columns_index.search(query).facets == expected_facets(matched(columns_index, text="biodiversity"))


def test_counting_in_chunks_adds_up(columns_index: SqliteFtsIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.search import facet_columns

    monkeypatch.setattr(facet_columns, "COUNT_CHUNK", 3)  # the corpus' matches span many chunks
    page = columns_index.search(SearchQuery(text="biodiversity", size=1))
    found = matched(columns_index, text="biodiversity")
    assert len(found) > 3 * 4
    assert page.facets == expected_facets(found)
