"""A run's writer (hub.pipeline.writer): a run shorter than a batch writes in its own thread, a longer
one beside its harvest in a writer thread; either way every record is stored and indexed once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvesters.records import RawRecord
from hub.context import Hub, open_hub
from hub.pipeline.summary import RunSummary
from hub.pipeline.writer import RunWriter
from hub.settings import Settings
from normalizers.resource import Provenance, Resource, resource_id

BATCH = 3  # records a batch holds (the hub's batch_size)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    opened = open_hub(Settings(home=tmp_path / "gkss", database_url=None, search_url=None, batch_size=BATCH))
    opened.store.add_source("src", "feed", "http://127.0.0.1/feed.xml", {})
    yield opened
    opened.close()


def record(native: str) -> tuple[RawRecord, Resource]:
    raw = RawRecord("src", native, "application/json", native.encode(), datetime(2026, 1, 1, tzinfo=UTC))
    resource = Resource(
        id=resource_id("src", native),
        source="src",
        native_id=native,
        title={"en": f"Entry {native}"},
        provenance=Provenance(
            source="src", protocol="feed", native_id=native, payload_hash="x", content_type="application/json"
        ),
    )
    return raw, resource


def write(hub: Hub, count: int) -> RunWriter:
    run = hub.store.start_run("src", False, None)
    writer = RunWriter(hub, "src", run.id, RunSummary(run_id=run.id, source_id="src"))
    for k in range(count):
        writer.add(*record(f"e{k}"))
    writer.finish()
    hub.index.refresh()
    return writer


@pytest.mark.parametrize("count", [1, BATCH - 1])
def test_a_run_shorter_than_a_batch_writes_without_a_writer_thread(hub: Hub, count: int) -> None:
    writer = write(hub, count)
    assert writer.worker is None  # one batch, written when the run waits for it anyway
    assert writer.summary.added == hub.store.count_records("src") == hub.index.count() == count


@pytest.mark.parametrize("count", [BATCH, 2 * BATCH + 1])
def test_a_run_of_full_batches_writes_them_beside_its_harvest(hub: Hub, count: int) -> None:
    writer = write(hub, count)
    assert writer.worker is not None  # started by the first full batch
    assert writer.summary.added == hub.store.count_records("src") == hub.index.count() == count


def test_a_write_error_of_a_run_shorter_than_a_batch_is_raised_by_finish(hub: Hub) -> None:
    run = hub.store.start_run("src", False, None)
    hub.store.remove_source("src")  # the run's records now break the store's foreign key
    writer = RunWriter(hub, "src", run.id, RunSummary(run_id=run.id, source_id="src"))
    writer.add(*record("e0"))
    with pytest.raises(Exception, match="FOREIGN KEY"):
        writer.finish()
    assert hub.store.count_records() == 0 and hub.index.count() == 0
