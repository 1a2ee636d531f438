"""One-way federation with two real hubs on 127.0.0.1: a regional centre registers the global hub on
its own side only; its federated search includes the global hub's results, and the global hub, which
does not know the centre, answers with its own results without fanning out to its own peers."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.federation.test_outbound_guard import ConnectionCounter
from tests.support.hubs import HubProcess
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, load_real_records


def _live(records: list[ReplayRecord]) -> list[ReplayRecord]:
    return [r for r in records if r.identifier and not r.deleted and r.metadata]


def _native_ids(results: list[dict[str, object]]) -> set[str]:
    return {str(item["provenance"]["native_id"]) for item in results}  # type: ignore[index]


def test_a_centre_includes_the_global_hubs_results_with_one_registration(tmp_path: Path) -> None:
    live = _live(load_real_records())
    global_records, centre_records = live[0:10], live[10:16]
    with (
        ConnectionCounter() as elsewhere,
        HubProcess(tmp_path / "global", "global-hub") as hub,
        HubProcess(tmp_path / "centre", "centre-af") as centre,
    ):
        for process, records in ((hub, global_records), (centre, centre_records)):
            with OaiReplayServer(records, page_size=10) as oai:
                process.cli("sources", "add", "repo", "--protocol", "oai-pmh", "--url", oai.url)
                process.cli("harvest", "repo")
        # the global hub has a peer of its own (a listener counting connections), and no idea of the centre
        hub.cli("peers", "add", "elsewhere", "--url", elsewhere.url, "--no-probe")
        centre.cli("peers", "add", "global-hub", "--url", hub.url)
        hub.serve()
        centre.serve()

        answer = httpx.get(
            centre.url + "/api/search", params={"federated": "true", "size": 100}, timeout=30
        ).json()
        [peer] = answer["peers"]
        assert (peer["id"], peer["status"], peer["total"]) == ("global-hub", "ok", len(global_records))
        expected = {r.identifier for r in global_records} | {r.identifier for r in centre_records}
        assert _native_ids(answer["results"]) == expected
        assert elsewhere.connections == 0, "the global hub fanned out for a hub it does not know"

        # the same search asked of the global hub directly (anonymous) does fan out to its peer
        direct = httpx.get(hub.url + "/api/search", params={"federated": "true"}, timeout=30).json()
        assert [p["id"] for p in direct["peers"]] == ["elsewhere"]
        assert elsewhere.connections >= 1
