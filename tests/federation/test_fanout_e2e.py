"""Federated search across real hub processes: merged and deduplicated results inside the budget,
slow and dead peers named, the circuit breaker sparing a dead peer until it is back."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.support.delay_proxy import DelayProxy
from tests.support.hubs import HubProcess
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, load_real_records

BUDGET_MS = 1500
COOLDOWN = 4.0


def _live(records: list[ReplayRecord]) -> list[ReplayRecord]:
    return [r for r in records if r.identifier and not r.deleted and r.metadata]


def _seed(hub: HubProcess, records: list[ReplayRecord]) -> None:
    with OaiReplayServer(records, page_size=10) as oai:
        hub.cli("sources", "add", "repo", "--protocol", "oai-pmh", "--url", oai.url)
        hub.cli("harvest", "repo")


def _identifiers(results: list[dict[str, object]]) -> list[str]:
    out = []
    for item in results:
        provenance = item["provenance"]
        assert isinstance(provenance, dict)
        out.append(str(provenance["native_id"]))
    return out


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    tmp_path = tmp_path_factory.mktemp("federation")
    live = _live(load_real_records())
    assert len(live) >= 30, "the fixtures must hold enough live records for four overlapping subsets"
    subsets = {"hub-a": live[0:12], "hub-b": live[8:20], "hub-c": live[18:26], "hub-d": live[24:34]}
    with ExitStack() as stack:
        hubs = {
            node: stack.enter_context(
                HubProcess(
                    tmp_path / node,
                    node,
                    federation_budget_ms=str(BUDGET_MS),
                    federation_breaker_failures="2",
                    federation_breaker_cooldown=str(COOLDOWN),
                )
            )
            for node in subsets
        }
        for node, records in subsets.items():
            _seed(hubs[node], records)
        for hub in hubs.values():
            hub.serve()
        slow = stack.enter_context(DelayProxy(hubs["hub-c"].url, delay=BUDGET_MS / 1000 + 1.5))
        flaky = stack.enter_context(DelayProxy(hubs["hub-d"].url))
        a = hubs["hub-a"]
        a.cli("peers", "add", "hub-b", "--url", hubs["hub-b"].url)
        a.cli("peers", "add", "hub-c", "--url", slow.url)
        a.cli("peers", "add", "hub-d", "--url", flaky.url)
        for node in ("hub-b", "hub-c", "hub-d"):
            hubs[node].cli("peers", "add", "hub-a", "--url", a.url)
        yield {"hubs": hubs, "subsets": subsets, "slow": slow, "flaky": flaky}


def _search(url: str) -> tuple[dict[str, object], float]:
    started = time.monotonic()
    response = httpx.get(url + "/api/search", params={"federated": "true", "size": 100}, timeout=30)
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text
    data: dict[str, object] = response.json()
    return data, elapsed


def _peers(data: dict[str, object]) -> dict[str, dict[str, object]]:
    peers = data["peers"]
    assert isinstance(peers, list)
    return {p["id"]: p for p in peers}


def test_fan_out_merges_live_hubs_in_budget_and_breaker_spares_the_dead(
    federation: dict[str, object],
) -> None:
    hubs: dict[str, HubProcess] = federation["hubs"]  # type: ignore[assignment]
    subsets: dict[str, list[ReplayRecord]] = federation["subsets"]  # type: ignore[assignment]
    flaky: DelayProxy = federation["flaky"]  # type: ignore[assignment]
    a = hubs["hub-a"]

    # 1. all up but hub-c slow: A, B, D answer, C times out; the budget holds.
    data, elapsed = _search(a.url)
    peers = _peers(data)
    assert elapsed < BUDGET_MS / 1000 + 0.5, f"answered after {elapsed:.2f} s, budget {BUDGET_MS} ms"
    assert peers["hub-b"]["status"] == "ok" and peers["hub-d"]["status"] == "ok"
    assert peers["hub-c"]["status"] == "timeout"
    assert data["counts"] == "exact"  # every search answer says how it counted (docs/http-api.md)
    assert peers["hub-b"]["count"] == len(subsets["hub-b"]) and peers["hub-d"]["count"] == len(
        subsets["hub-d"]
    )
    expected = {r.identifier for node in ("hub-a", "hub-b", "hub-d") for r in subsets[node]}
    got = _identifiers(data["results"])  # type: ignore[arg-type]
    assert len(got) == len(set(got)), "a record shared by several hubs must appear once"
    assert set(got) == expected
    shared = {r.identifier for r in subsets["hub-a"]} & {r.identifier for r in subsets["hub-b"]}
    assert shared
    for item in data["results"]:  # type: ignore[attr-defined]
        hubs_of_copy = {p["hub"] for p in item["provenances"]}
        if item["provenance"]["native_id"] in shared:
            assert hubs_of_copy == {"hub-a", "hub-b"}, "every copy's provenance is kept"
    facets = data["facets"]
    assert isinstance(facets, dict)
    direct = {
        node: httpx.get(hubs[node].url + "/api/search", params={"size": 1}).json()["facets"]["type"]
        for node in ("hub-a", "hub-b", "hub-d")
    }
    for value in facets["type"]:
        assert facets["type"][value] == sum(d.get(value, 0) for d in direct.values()), "facets are summed"

    # 2. hub-d stops: error until the breaker opens (2 failures), then suspended without a call.
    hubs["hub-d"].stop()
    statuses = []
    for _ in range(2):
        data, elapsed = _search(a.url)
        assert elapsed < BUDGET_MS / 1000 + 0.5
        statuses.append(_peers(data)["hub-d"]["status"])
    assert statuses == ["error", "error"]
    calls = flaky.hits("/api/search")
    for _ in range(3):
        data, _ = _search(a.url)
        dead = _peers(data)["hub-d"]
        # the public answer names no network detail; the admin API has it
        assert dead["status"] == "suspended" and dead["reason"] == "suspended after repeated failures"
        assert "Errno" not in json.dumps(data["peers"]) and "connect" not in json.dumps(data["peers"])
        assert {r.identifier for r in subsets["hub-b"]} <= set(_identifiers(data["results"]))  # type: ignore[arg-type]
    assert flaky.hits("/api/search") == calls, "a suspended peer receives no request"
    # the admin API (the CLI's `peers list --json` prints the same JSON, but under load its start-up
    # alone can outlast the cooldown)
    listed = httpx.get(a.url + "/api/admin/peers", timeout=10).json()
    assert {p["id"]: p["breaker"]["state"] for p in listed}["hub-d"] == "open"
    assert "failures in a row" in str({p["id"]: p for p in listed}["hub-d"]["breaker"]["reason"])

    # 3. hub-d comes back: after the cooldown one trial call closes the breaker.
    hubs["hub-d"].serve()
    time.sleep(COOLDOWN + 0.5)
    data, _ = _search(a.url)
    assert _peers(data)["hub-d"]["status"] == "ok"
    assert flaky.hits("/api/search") == calls + 1
    assert {r.identifier for r in subsets["hub-d"]} <= set(_identifiers(data["results"]))  # type: ignore[arg-type]

    # 4. the CLI gives the same peer list
    cli = json.loads(a.cli("search", "--federated", "--json", "--size", "100").stdout)
    assert {p["id"]: p["status"] for p in cli["peers"]}["hub-b"] == "ok"
    assert all(set(p) >= {"id", "status", "count", "took_ms"} for p in cli["peers"])


def test_an_unregistered_or_unverified_hub_gets_this_hubs_own_results(federation: dict[str, object]) -> None:
    hubs: dict[str, HubProcess] = federation["hubs"]  # type: ignore[assignment]
    b = hubs["hub-b"]
    # hub-b does not know hub-c: a request hub-c signs is answered with hub-b's own results, no fan-out
    from federation.identity import Route, signed_headers
    from hub.identity import identity_of
    from hub.settings import Settings

    c = identity_of(Settings(home=hubs["hub-c"].home, node_id="hub-c"))
    query = "federated=true&size=5"
    local = httpx.get(f"{b.url}/api/search?size=5").json()
    headers = signed_headers(c, "GET", query, Route(1, ("hub-c",)))
    stranger = httpx.get(f"{b.url}/api/search?{query}", headers=headers)
    assert stranger.status_code == 200
    assert "peers" not in stranger.json() and "federated" not in stranger.json(), "no fan-out for it"
    assert stranger.json()["total"] == local["total"] and stranger.json()["results"] == local["results"]
    a = identity_of(Settings(home=hubs["hub-a"].home, node_id="hub-a"))
    signed = signed_headers(a, "GET", query, Route(1, ("hub-a", "hub-b")))
    ok = httpx.get(f"{b.url}/api/search?{query}", headers={**signed, "x-gkss-budget-ms": "300"})
    assert ok.status_code == 200
    assert _peers(ok.json())["hub-a"]["status"] == "skipped", "a hub on the route is not asked again"
    assert ok.json()["budget_ms"] == 300, "a forwarded search keeps within the caller's remaining budget"
    unsigned = httpx.get(f"{b.url}/api/search?{query}", headers={"x-gkss-budget-ms": "300"}).json()
    assert unsigned["budget_ms"] == BUDGET_MS
    tampered = httpx.get(f"{b.url}/api/search?{query}", headers={**signed, "x-gkss-hops": "0"})
    assert tampered.status_code == 200 and "peers" not in tampered.json(), "a bad signature earns no trust"
    assert tampered.json()["results"] == local["results"]
