"""Normalisation beside the run (hub/pipeline/beside.py): a run whose records are normalised in a helper
process stores and indexes exactly what a run normalising them itself does, with the same counts."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from harvesters.records import RawRecord
from hub.context import Hub, open_hub
from hub.pipeline import beside, harvest_source, normalise_record
from hub.search.base import SearchQuery
from hub.settings import Settings
from hub.store.raw import stored_raw_records
from normalizers.dispatch import Outcome, normalize_outcomes
from normalizers.resource import Resource
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records


def _open(home: Path) -> Hub:
    return open_hub(Settings(home=home, database_url=None, search_url=None, allow_private_networks=True))


def _harvest(home: Path, url: str) -> tuple[dict[str, int | str], dict[str, str]]:
    hub = _open(home)
    try:
        hub.store.add_source("repo", "oai-pmh", url, {})
        summary = harvest_source(hub, "repo", full=True)
        counts: dict[str, int | str] = {
            "status": summary.status,
            "added": summary.added,
            "skipped": summary.skipped,
            "failed": summary.failed,
            "indexed": hub.index.count(),
            "searchable": hub.index.search(SearchQuery(text="", size=1, facets=False)).total,
        }
        hashes = {r.id: r.content_hash() for batch in hub.store.iter_resources("repo") for r in batch}
    finally:
        hub.close()
    return counts, hashes


def test_records_normalised_beside_the_run_are_stored_as_if_normalised_in_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = load_real_records()
    live, _ = live_and_deleted(records)
    with OaiReplayServer(records, page_size=9) as server:
        alone = _harvest(tmp_path / "alone", server.url)  # fewer records than START_AFTER: no helper

        taken: list[int] = []
        real_take = beside.Beside._take

        def counting_take(self: beside.Beside) -> None:
            taken.append(len(self.pending[0][0]))
            real_take(self)

        monkeypatch.setattr(beside, "START_AFTER", 3)
        monkeypatch.setattr(beside, "CHUNK", 4)
        monkeypatch.setattr(beside, "DEPTH", 1)
        monkeypatch.setattr(beside.Beside, "_take", counting_take)
        helped = _harvest(tmp_path / "helped", server.url)

    assert sum(taken) == len(live) - 3, "every live record after the first three went to the helper"
    assert helped == alone
    assert alone[0]["status"] == "succeeded"
    assert alone[0]["indexed"] == alone[0]["added"] == len(alone[1])


class _NoChildren:
    """A fake executor, named as such: what starting a process raises in a daemonic process."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("daemonic processes are not allowed to have children")


def test_a_run_that_cannot_start_the_helper_normalises_every_record_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = load_real_records()
    with OaiReplayServer(records, page_size=9) as server:
        alone = _harvest(tmp_path / "alone", server.url)
        monkeypatch.setattr(beside, "START_AFTER", 3)
        monkeypatch.setattr(beside, "CHUNK", 4)
        monkeypatch.setattr(beside, "ProcessPoolExecutor", _NoChildren)
        refused = _harvest(tmp_path / "refused", server.url)
    assert refused == alone
    assert refused[0]["status"] == "succeeded"


def _outcomes(records: list[RawRecord], helpers: int) -> tuple[list[tuple[str, str | None]], int]:
    """Each record's outcome as Beside delivers it (native id, content hash / error / None), in delivery
    order, and how many helper processes were running before the last chunk was sent."""
    got: list[tuple[str, str | None]] = []

    def deliver(raw: RawRecord, outcome: Outcome) -> None:
        got.append(
            (
                raw.native_id,
                f"resource {outcome.content_hash()}" if isinstance(outcome, Resource) else outcome,
            )
        )

    def here(raw: RawRecord) -> None:
        deliver(raw, normalize_outcomes(normalise_record, [raw], "oai-pmh", PLACE)[0])

    side = beside.Beside(normalise_record, here, deliver, "oai-pmh", PLACE, helpers=helpers)
    try:
        for raw in records[:-1]:
            side.add(raw)
        running = len(mp.active_children())
        side.add(records[-1])
        side.flush()
    finally:
        side.close()
    return got, running


PLACE = ("KE", ("africa",))


def test_two_helpers_deliver_the_outcomes_of_one_in_the_same_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = load_real_records()
    with OaiReplayServer(records, page_size=9) as server:
        hub = _open(tmp_path / "store")
        try:
            hub.store.add_source("repo", "oai-pmh", server.url, {})
            assert harvest_source(hub, "repo", full=True).status == "succeeded"
            stored = [raw for batch in stored_raw_records(hub.store, "repo", 50) for raw, _ in batch]
        finally:
            hub.close()
    live, _ = live_and_deleted(records)
    assert len(stored) == len(live)
    monkeypatch.setattr(beside, "START_AFTER", 2)
    monkeypatch.setattr(beside, "CHUNK", 3)
    monkeypatch.setattr(beside, "DEPTH", 1)
    before = len(mp.active_children())
    one, one_running = _outcomes(stored, helpers=1)
    two, two_running = _outcomes(stored, helpers=2)

    assert (one_running - before, two_running - before) == (1, 2), "one helper process, then two"
    assert [native_id for native_id, _ in two] == [raw.native_id for raw in stored], "in the order added"
    assert two == one
    assert sum(str(outcome).startswith("resource ") for _, outcome in one) > len(stored) // 2, (
        "mostly records"
    )
