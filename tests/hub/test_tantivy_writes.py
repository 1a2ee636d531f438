"""The embedded index's pending additions (a long run's writes): kept in one open writer, searchable once
committed (every ``COMMIT_EVERY`` documents, by ``commit_pending``, before any other write, on
``close``), while the store is the truth; and a harvest that ends with everything searchable."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.search import tantivy_writes
from hub.search.base import SearchQuery
from hub.search.tantivy_index import TantivyIndex
from normalizers.resource import Resource
from tests.contract.conftest import load_corpus


@pytest.fixture(scope="module")
def corpus() -> list[Resource]:
    return load_corpus()


def _found(index: TantivyIndex) -> set[str]:
    return {hit.id for hit in index.search(SearchQuery(size=1000)).hits}


def test_pending_additions_are_searchable_once_committed(tmp_path: Path, corpus: list[Resource]) -> None:
    index = TantivyIndex(tmp_path / "index")
    try:
        assert index.add_pending(corpus[:10]) == 10
        assert index.add_pending(corpus[10:20]) == 10
        assert index.count() == 0  # nothing committed yet
        index.commit_pending()
        assert index.count() == 20
        assert _found(index) == {r.id for r in corpus[:20]}
        index.commit_pending()  # nothing pending: nothing changes
        assert index.count() == 20
    finally:
        index.close()


def test_every_commit_every_documents_are_committed(
    tmp_path: Path, corpus: list[Resource], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tantivy_writes, "COMMIT_EVERY", 15)
    index = TantivyIndex(tmp_path / "index")
    try:
        index.add_pending(corpus[:10])
        assert index.count() == 0
        index.add_pending(corpus[10:20])  # 20 pending >= 15: committed
        assert index.count() == 20
        index.add_pending(corpus[20:25])
        assert index.count() == 20
        index.add_pending(corpus[25:28], commit_every=8)  # a run's own number: 8 pending, committed
        assert index.count() == 28
    finally:
        index.close()


def test_a_record_added_twice_before_a_commit_is_indexed_once_as_last_added(
    tmp_path: Path, corpus: list[Resource]
) -> None:
    index = TantivyIndex(tmp_path / "index")
    try:
        first = corpus[0]
        changed = first.model_copy(update={"title": {"en": "Zanzibar wetlands second version"}})
        index.add_pending([first, *corpus[1:5]])
        index.add_pending([changed])
        index.commit_pending()
        assert index.count() == 5
        hits = index.search(SearchQuery(text="zanzibar")).hits
        assert [hit.id for hit in hits] == [first.id]
        assert index.get(first.id) == changed
    finally:
        index.close()


def test_another_write_commits_the_pending_ones_first_in_their_order(
    tmp_path: Path, corpus: list[Resource]
) -> None:
    index = TantivyIndex(tmp_path / "index")
    try:
        index.add_pending(corpus[:6])
        assert index.delete([corpus[0].id]) == 1  # pending, hence committed first and removed
        index.add_pending(corpus[6:8])
        index.add_pending([corpus[0]])  # added again after its removal: indexed
        index.add([corpus[8]])  # commits the pending ones with it
        assert _found(index) == {r.id for r in corpus[:9]}
        assert index.delete([corpus[6].id, corpus[0].id]) == 2
        assert _found(index) == {r.id for r in corpus[1:9]} - {corpus[6].id}
    finally:
        index.close()


def test_close_commits_what_is_pending(tmp_path: Path, corpus: list[Resource]) -> None:
    index = TantivyIndex(tmp_path / "index")
    index.add_pending(corpus[:7])
    index.close()
    again = TantivyIndex(tmp_path / "index")
    try:
        assert again.count() == 7
    finally:
        again.close()
