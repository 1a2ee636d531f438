"""Store: batched upserts report added / updated / unchanged / deleted, tombstones persist."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvesters.records import RawRecord
from hub.store import Store
from hub.store.store import NormalisedItem
from normalizers.resource import Provenance, Resource, resource_id
from tests.support.databases import database_kinds, fresh_store


def _item(native: str, title: str, deleted: bool = False) -> NormalisedItem:
    payload = title.encode()
    raw = RawRecord("src", native, "text/plain", payload, datetime(2024, 1, 1, tzinfo=UTC), deleted)
    if deleted:
        return NormalisedItem(raw, None)
    resource = Resource(
        id=resource_id("src", native),
        source="src",
        native_id=native,
        title={"en": title},
        provenance=Provenance(
            source="src", protocol="test", native_id=native, payload_hash="x", content_type="t"
        ),
    )
    return NormalisedItem(raw, resource)


@pytest.fixture(params=database_kinds())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_store(request.param, tmp_path, "src") as s:
        yield s


def test_counts_follow_what_changed(store: Store) -> None:
    run = store.start_run("src", False, None)
    first = store.apply_batch("src", run.id, [_item("a", "Alpha"), _item("b", "Beta")])
    assert (first.added, first.updated, first.unchanged, first.deleted) == (2, 0, 0, 0)
    batch = [_item("a", "Alpha"), _item("b", "Beta v2"), _item("c", "Gamma")]
    second = store.apply_batch("src", run.id, batch)
    assert (second.added, second.updated, second.unchanged) == (1, 1, 1)
    assert [r.native_id for r in second.to_index] == ["b", "c"]
    assert store.count_records("src") == 3


def test_tombstone_replaces_record_and_is_kept(store: Store) -> None:
    run = store.start_run("src", False, None)
    store.apply_batch("src", run.id, [_item("a", "Alpha"), _item("b", "Beta")])
    result = store.apply_batch("src", run.id, [_item("a", "", deleted=True)])
    assert result.deleted == 1
    assert result.to_unindex == [resource_id("src", "a")]
    assert store.count_records("src") == 1
    assert store.count_records("src", deleted=True) == 1
    assert store.get_resource(resource_id("src", "a")) is None
    again = store.apply_batch("src", run.id, [_item("a", "", deleted=True)])
    assert (again.deleted, again.unchanged) == (0, 1)
    revived = store.apply_batch("src", run.id, [_item("a", "Alpha back")])
    assert revived.updated == 1
    assert store.get_resource(resource_id("src", "a")) is not None


def test_tombstone_keeps_the_resource_it_had_until_revived(store: Store) -> None:
    run = store.start_run("src", False, None)
    store.apply_batch("src", run.id, [_item("a", "Alpha")])
    store.apply_batch("src", run.id, [_item("a", "", deleted=True), _item("n", "", deleted=True)])
    row = store.get_record(resource_id("src", "a"))
    assert row is not None and row.deleted and row.resource is None and row.last_resource is not None
    assert Resource.model_validate_json(row.last_resource).title == {"en": "Alpha"}
    never_live = store.get_record(resource_id("src", "n"))
    assert never_live is not None and never_live.deleted and never_live.last_resource is None
    store.apply_batch("src", run.id, [_item("a", "Alpha back")])
    row = store.get_record(resource_id("src", "a"))
    assert row is not None and not row.deleted and row.last_resource is None
    assert row.resource is not None and "Alpha back" in row.resource


def test_duplicate_native_ids_in_one_batch_store_once(store: Store) -> None:
    run = store.start_run("src", False, None)
    result = store.apply_batch("src", run.id, [_item("a", "first"), _item("a", "second")])
    assert result.added == 1
    resource = store.get_resource(resource_id("src", "a"))
    assert resource is not None and resource.title == {"en": "second"}


def test_remove_source_drops_everything(store: Store) -> None:
    run = store.start_run("src", False, None)
    store.apply_batch("src", run.id, [_item("a", "Alpha")])
    ids = store.remove_source("src")
    assert ids == [resource_id("src", "a")]
    assert store.count_records() == 0
    assert store.list_sources() == []
