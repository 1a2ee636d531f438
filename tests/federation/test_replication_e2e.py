"""Replication between real hub processes over OAI-PMH in the native format: a chain A->B->C with a
deletion travelling along it, closing it into a cycle C->A, and a two-hub cycle A->B->A."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.hubs import HubProcess
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, load_real_records


def _live(records: list[ReplayRecord]) -> list[ReplayRecord]:
    return [r for r in records if r.identifier and not r.deleted and r.metadata]


def _records(hub: HubProcess) -> list[dict[str, Any]]:
    data = json.loads(hub.cli("search", "--json", "--size", "100").stdout)
    assert data["total"] <= 100
    results: list[dict[str, Any]] = data["results"]
    return results


def _native_ids(results: list[dict[str, Any]]) -> list[str]:
    return [str(r["provenance"]["native_id"]) for r in results]


def _harvest(hub: HubProcess, source: str) -> dict[str, int]:
    """Counts printed by `gkss harvest` (added/updated/unchanged/deleted/failed)."""
    line = hub.cli("harvest", source).stderr
    counts = {}
    for part in line.split():
        name, _, value = part.partition("=")
        if name in ("added", "updated", "unchanged", "deleted", "failed") and value.isdigit():
            counts[name] = int(value)
    return counts


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[dict[str, HubProcess]]:
    with ExitStack() as stack:
        made = {
            n: stack.enter_context(HubProcess(tmp_path / n, n, oai_page_size="7")) for n in ("a", "b", "c")
        }
        yield made


def test_chain_keeps_provenance_carries_deletions_and_a_closed_cycle_adds_nothing(
    hubs: dict[str, HubProcess],
) -> None:
    a, b, c = hubs["a"], hubs["b"], hubs["c"]
    live = _live(load_real_records())[:20]
    with OaiReplayServer(live, page_size=10) as oai:
        a.cli("sources", "add", "repo", "--protocol", "oai-pmh", "--url", oai.url)
        assert _harvest(a, "repo")["added"] == len(live)
        for hub in (a, b, c):
            hub.serve()
        b.cli("sources", "add", "from-a", "--protocol", "hub", "--url", a.url)
        c.cli("sources", "add", "from-b", "--protocol", "hub", "--url", b.url)
        assert _harvest(b, "from-a")["added"] == len(live)
        assert _harvest(c, "from-b")["added"] == len(live)

        expected = sorted(r.identifier or "" for r in live)
        for hub in (b, c):
            results = _records(hub)
            assert sorted(_native_ids(results)) == expected, "every record once, original identifiers kept"
            for item in results:
                provenance = item["provenance"]
                assert provenance["origin_hub"] == "a" and provenance["source"] == "repo"
                assert provenance["protocol"] == "oai-pmh"

        gone = live[3].identifier or ""
        oai.delete_record(gone, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1))
        assert _harvest(a, "repo")["deleted"] == 1
        assert _harvest(b, "from-a")["deleted"] == 1
        assert _harvest(c, "from-b")["deleted"] == 1
        assert gone not in _native_ids(_records(c))
        assert len(_records(c)) == len(live) - 1

        # close the chain into a cycle A->B->C->A: a's own records come back and are dropped
        a.cli("sources", "add", "from-c", "--protocol", "hub", "--url", c.url)
        counts = _harvest(a, "from-c")
        assert counts["added"] == 0 and counts["failed"] == 0
        assert sorted(_native_ids(_records(a))) == sorted(set(expected) - {gone})


def test_two_hub_cycle_converges_without_duplicates(hubs: dict[str, HubProcess]) -> None:
    a, b = hubs["a"], hubs["b"]
    live = _live(load_real_records())
    own_a, own_b = live[:12], live[12:24]
    with OaiReplayServer(own_a, page_size=10) as oai_a, OaiReplayServer(own_b, page_size=10) as oai_b:
        a.cli("sources", "add", "repo", "--protocol", "oai-pmh", "--url", oai_a.url)
        b.cli("sources", "add", "local", "--protocol", "oai-pmh", "--url", oai_b.url)
        _harvest(a, "repo")
        _harvest(b, "local")
    a.serve()
    b.serve()
    a.cli("sources", "add", "from-b", "--protocol", "hub", "--url", b.url)
    b.cli("sources", "add", "from-a", "--protocol", "hub", "--url", a.url)
    assert _harvest(b, "from-a")["added"] == len(own_a)
    assert _harvest(a, "from-b")["added"] == len(own_b), "b's copies of a's records do not come back"
    for _ in range(2):
        assert _harvest(b, "from-a")["added"] == 0
        assert _harvest(a, "from-b")["added"] == 0
    everything = sorted(r.identifier or "" for r in own_a + own_b)
    for hub, other in ((a, "b"), (b, "a")):
        results = _records(hub)
        assert sorted(_native_ids(results)) == everything, "each record exactly once in each hub"
        origins = {r["provenance"]["native_id"]: r["provenance"]["origin_hub"] for r in results}
        theirs = own_b if other == "b" else own_a
        assert all(origins[r.identifier] == other for r in theirs)
