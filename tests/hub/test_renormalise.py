"""Re-normalising a source from its stored raw payloads: nothing fetched, changes counted and indexed,
the raw rows untouched, and the next incremental harvest's window not moved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.recovery import INDEX_FAILED, LEVELLED
from hub.renormalise import STATUS, renormalise_source
from hub.search.base import SearchQuery
from hub.settings import Settings
from hub.store.models import RawRecordRow
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    hub = open_hub(
        Settings(home=tmp_path / "gkss", database_url=None, search_url=None, allow_private_networks=True)
    )
    yield hub
    hub.close()


def _raw_rows(hub: Hub) -> list[tuple[str, bytes, object]]:
    with hub.store.session() as s:
        query = select(RawRecordRow.native_id, RawRecordRow.payload, RawRecordRow.harvested_at)
        return sorted((row[0], row[1], row[2]) for row in s.execute(query))


def test_renormalising_reads_the_store_and_counts_what_changed(hub: Hub) -> None:
    records = load_real_records()
    live, _ = live_and_deleted(records)
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {})
        harvested = harvest_source(hub, "repo", full=True)
        assert harvested.status == "succeeded"
        requests = len(server.requests)
        raw_before = _raw_rows(hub)

        same = renormalise_source(hub, "repo")
        assert len(server.requests) == requests, "nothing is fetched"
    stored = hub.store.count_records("repo")
    assert stored == len(live)
    assert (same.status, same.added, same.updated, same.failed) == (STATUS, 0, 0, 0)
    assert same.unchanged + same.skipped == len(live)

    # The source is now placed in Kenya: every record naming no country of its own changes.
    placeless = [r for batch in hub.store.iter_resources("repo") for r in batch if not r.countries]
    assert placeless, "the real records include some without dc:coverage countries"
    hub.store.update_source("repo", options={"country": "KE"})
    moved = renormalise_source(hub, "repo")
    assert (moved.status, moved.added, moved.updated) == (STATUS, 0, len(placeless))
    kenya = hub.index.search(SearchQuery(country=("KE",), size=1, facets=False))
    assert kenya.total >= len(placeless)
    assert _raw_rows(hub) == raw_before, "the raw rows are read, never written"
    last = hub.store.last_successful_run("repo")
    assert last is not None and last.id == harvested.run_id, "an incremental window starts from the harvest"


def test_an_index_failure_while_re_normalising_is_noted_and_the_next_process_levels_the_index(
    tmp_path: Path,
) -> None:
    home = tmp_path / "gkss"
    settings = Settings(home=home, database_url=None, search_url=None, allow_private_networks=True)
    records = load_real_records()
    first = open_hub(settings)
    try:
        with OaiReplayServer(records, page_size=7) as server:
            first.store.add_source("repo", "oai-pmh", server.url, {})
            assert harvest_source(first, "repo", full=True).status == "succeeded"
        placeless = {r.id for batch in first.store.iter_resources("repo") for r in batch if not r.countries}
        assert placeless
        first.store.update_source("repo", options={"country": "KE"})
        first.index.close()  # every index write of the re-normalising now fails: "the index is closed"
        moved = renormalise_source(first, "repo")
    finally:
        first.close()
    assert (moved.status, moved.updated) == (STATUS, len(placeless)), moved.error
    assert any(note.startswith(INDEX_FAILED) for note in moved.notes), moved.notes
    run = next(r for r in first.store.list_runs("repo") if r.id == moved.run_id)
    assert any(str(note).startswith(INDEX_FAILED) for note in run.notes or []), run.notes

    second = open_hub(settings)  # the next process levels the index after the run that noted the failure
    try:
        stored = {r.id for batch in second.store.iter_resources("repo") for r in batch if "KE" in r.countries}
        assert placeless <= stored, "the store kept every change the index missed"
        kenya = second.index.search(SearchQuery(country=("KE",), size=1000, facets=False))
        assert {hit.id for hit in kenya.hits} == stored
        run = next(r for r in second.store.list_runs("repo") if r.id == moved.run_id)
        assert any(str(note).startswith(LEVELLED) for note in run.notes or []), run.notes
    finally:
        second.close()
