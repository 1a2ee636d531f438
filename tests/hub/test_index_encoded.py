"""A run's records reach the embedded index with the JSON the store wrote for them (not encoded a second
time): the same documents as when the index encodes each Resource itself, and what the index stores of a
harvested record is what the store holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.search.tantivy_writes import documents_of
from hub.settings import Settings
from hub.store.models import RecordRow
from normalizers.resource import Resource
from tests.contract.conftest import load_corpus
from tests.support.oai_replay import OaiReplayServer, load_real_records


@pytest.fixture(scope="module")
def corpus() -> list[Resource]:
    return load_corpus()


def _dicts(resources: list[Resource], encoded: list[str] | None) -> dict[str, object]:
    return {rid: doc.to_dict() for rid, doc in documents_of(resources, encoded).items()}


def test_documents_from_the_stored_json_are_those_encoded_by_the_index(corpus: list[Resource]) -> None:
    assert len(corpus) >= 20
    encoded = [resource.model_dump_json() for resource in corpus]
    assert _dicts(corpus, encoded) == _dicts(corpus, None)
    # the latest of an id wins with its own JSON, as without it
    changed = corpus[0].model_copy(update={"title": {"en": "Zanzibar wetlands second version"}})
    twice = [*corpus[:3], changed]
    assert _dicts(twice, [r.model_dump_json() for r in twice]) == _dicts(twice, None)
    assert b"Zanzibar" in bytes(_dicts(twice, None)[changed.id]["resource"][0])  # type: ignore[index]


def test_json_not_matching_the_resources_is_refused(corpus: list[Resource]) -> None:
    with pytest.raises(ValueError):
        documents_of(corpus[:3], [corpus[0].model_dump_json()])


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    settings = Settings(home=tmp_path, database_url=None, search_url=None, allow_private_networks=True)
    hub = open_hub(settings)
    try:
        yield hub
    finally:
        hub.close()


def test_the_index_stores_what_the_store_wrote(hub: Hub) -> None:
    with OaiReplayServer(load_real_records(), page_size=9) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {})
        summary = harvest_source(hub, "repo", full=True)
    assert summary.status == "succeeded" and summary.added > 0
    with hub.store.session() as s:
        live = select(RecordRow.id, RecordRow.resource).where(RecordRow.deleted.is_(False))
        stored = {rid: text for rid, text in s.execute(live)}
    assert len(stored) == summary.added == hub.index.count()
    for rid, text in stored.items():
        assert text is not None
        assert hub.index.get(rid) == Resource.model_validate_json(text)
