"""Normalisation beside the run (hub/pipeline/beside.py): a run whose records are normalised in a helper
process stores and indexes exactly what a run normalising them itself does, with the same counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.context import Hub, open_hub
from hub.pipeline import beside, harvest_source
from hub.search.base import SearchQuery
from hub.settings import Settings
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
