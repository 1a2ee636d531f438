"""A federated search sends every search filter to every peer hub, and each peer applies it.

Three real hub processes on 127.0.0.1: hub-a (empty) asks hub-b and hub-c, each holding half of the
contract corpus (Resources built from real payloads, tests/fixtures/contract/corpus.json), through a
proxy that records what each peer was asked. For every filter the test checks that each peer received
it, and that the results the peer sent back are exactly its records that the filter selects, as read
from the corpus itself (a peer that had not applied it would answer with more).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from hub.context import open_hub
from hub.settings import Settings
from normalizers.resource import Resource
from normalizers.search_query import FILTERS
from normalizers.vocabularies.countries import regions_of
from tests.support.delay_proxy import DelayProxy
from tests.support.hubs import HubProcess

CORPUS = Path(__file__).parents[1] / "fixtures" / "contract" / "corpus.json"
PEERS = ("hub-b", "hub-c")

# The corpus names no GBF goal or indicator: these records get one each, as part of this test's input.
GOALS = {"GBF-GOAL-A": 0, "GBF-GOAL-B": 1}  # goal -> every 3rd record from this offset
INDICATORS = {
    "GBF-INDICATOR-A.1": 2,
    "GBF-INDICATOR-B.1": 3,
}  # indicator -> every 5th record from this offset
INFERRED = ("GBF-TARGET-05", 4)  # an inferred target (score 0.5) on every 7th record from this offset


def _corpus() -> list[Resource]:
    resources = [Resource.model_validate(r) for r in json.loads(CORPUS.read_text())["resources"]]
    out = []
    for i, resource in enumerate(resources):
        goals = [g for g, start in GOALS.items() if i % 3 == start]
        indicators = [x for x, start in INDICATORS.items() if i % 5 == start]
        inferred = {INFERRED[0]: 0.5} if i % 7 == INFERRED[1] else {}
        update = {"gbf_goals": goals, "gbf_indicators": indicators, "gbf_targets_inferred": inferred}
        out.append(resource.model_copy(update=update))
    return out


def _day(resource: Resource) -> str:
    return (resource.display_date() or "")[:10]


# One case per filter: (HTTP parameter, value, which records it selects), read from the Resource.
Case = tuple[str, str, Callable[[Resource], bool]]
CASES: list[Case] = [
    ("type", "notification", lambda r: r.type == "notification"),
    ("source", "cbd-meetings", lambda r: r.source == "cbd-meetings"),
    ("country", "CA", lambda r: "CA" in r.countries),
    ("target", "GBF-TARGET-02", lambda r: "GBF-TARGET-02" in r.gbf_targets),
    ("language", "fr", lambda r: "fr" in r.languages),
    ("year", "2024", lambda r: r.year() == 2024),
    ("region", "419", lambda r: "419" in {*r.regions, *regions_of(r.countries)}),  # Latin America
    ("goal", "GBF-GOAL-B", lambda r: "GBF-GOAL-B" in r.gbf_goals),
    ("indicator", "GBF-INDICATOR-A.1", lambda r: "GBF-INDICATOR-A.1" in r.gbf_indicators),
    ("from", "2024-01-01", lambda r: _day(r) >= "2024-01-01"),
    ("until", "2019-12-31", lambda r: "" < _day(r) <= "2019-12-31"),
    ("target_inferred", INFERRED[0], lambda r: INFERRED[0] in r.gbf_targets_inferred),
    ("target_any", INFERRED[0], lambda r: INFERRED[0] in {*r.gbf_targets, *r.gbf_targets_inferred}),
]
# target_basis says which targets ``target`` matches; it filters nothing alone (tested with target below).
MODIFIERS = {"target_basis"}


def test_the_cases_cover_every_declared_filter() -> None:
    assert {param for param, _, _ in CASES} | MODIFIERS == {f.param for f in FILTERS}


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp_path = tmp_path_factory.mktemp("filters")
    corpus = _corpus()
    held = {"hub-b": corpus[0::2], "hub-c": corpus[1::2]}
    with ExitStack() as stack:
        hubs = {
            node: stack.enter_context(HubProcess(tmp_path / node, node, federation_budget_ms="20000"))
            for node in ("hub-a", *PEERS)
        }
        for node, resources in held.items():  # each peer's index holds its half of the corpus
            hub = open_hub(Settings(home=tmp_path / node, database_url=None, search_url=None))
            try:
                assert hub.index.add(resources) == len(resources)
                hub.index.refresh()
            finally:
                hub.close()
        for hub in hubs.values():
            hub.serve()
        proxies = {node: stack.enter_context(DelayProxy(hubs[node].url)) for node in PEERS}
        for node in PEERS:  # each side knows the other's key: a peer answers only hubs it knows
            hubs["hub-a"].cli("peers", "add", node, "--url", proxies[node].url)
            hubs[node].cli("peers", "add", "hub-a", "--url", hubs["hub-a"].url)
        yield {"a": hubs["hub-a"], "hubs": hubs, "held": held, "proxies": proxies}


def _asked(proxy: DelayProxy, since: int) -> list[list[tuple[str, str]]]:
    with proxy._lock:
        paths = proxy.paths[since:]
    return [parse_qsl(urlsplit(p).query) for p in paths if p.split("?", 1)[0] == "/api/search"]


def _federated(a: HubProcess, params: list[tuple[str, str]]) -> dict[str, Any]:
    answer = httpx.get(
        a.url + "/api/search", params=[*params, ("federated", "true"), ("size", "100")], timeout=60
    )
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def _from_peer(data: dict[str, Any], node: str) -> set[str]:
    return {
        str(item["provenance"]["native_id"])
        for item in data["results"]
        if node in {p["hub"] for p in item.get("provenances", [])}
    }


@pytest.mark.parametrize(("param", "value", "selects"), CASES, ids=[c[0] for c in CASES])
def test_every_filter_reaches_each_peer_and_filters_its_results(
    federation: dict[str, Any], param: str, value: str, selects: Callable[[Resource], bool]
) -> None:
    a: HubProcess = federation["a"]
    held: dict[str, list[Resource]] = federation["held"]
    proxies: dict[str, DelayProxy] = federation["proxies"]
    everything = [r for node in PEERS for r in held[node]]
    expected_all = {r.native_id for r in everything if selects(r)}
    assert 0 < len(expected_all) < len(everything), f"{param}={value} must select some records, not all"
    before = {node: len(proxies[node].paths) for node in PEERS}

    data = _federated(a, [(param, value)])

    outcomes = {p["id"]: p for p in data["peers"]}
    for node in PEERS:
        asked = _asked(proxies[node], before[node])
        assert asked, f"{node} was not asked"
        assert all((param, value) in query for query in asked), (
            f"{node} was not sent {param}={value}: {asked}"
        )
        assert outcomes[node]["status"] == "ok", outcomes[node]
        expected = {r.native_id for r in held[node] if selects(r)}
        assert outcomes[node]["total"] == len(expected), f"{node} did not apply {param}={value}"
        assert _from_peer(data, node) == expected


def test_target_basis_reaches_each_peer_with_the_targets_it_matches(federation: dict[str, Any]) -> None:
    """``target`` with ``target_basis=inferred`` asks each peer for inferred targets only."""
    a: HubProcess = federation["a"]
    held: dict[str, list[Resource]] = federation["held"]
    proxies: dict[str, DelayProxy] = federation["proxies"]
    before = {node: len(proxies[node].paths) for node in PEERS}

    data = _federated(a, [("target", INFERRED[0]), ("target_basis", "inferred")])

    outcomes = {p["id"]: p for p in data["peers"]}
    for node in PEERS:
        asked = _asked(proxies[node], before[node])
        assert asked and all(("target_basis", "inferred") in query for query in asked), asked
        expected = {r.native_id for r in held[node] if INFERRED[0] in r.gbf_targets_inferred}
        assert 0 < len(expected) == outcomes[node]["total"], outcomes[node]
        assert _from_peer(data, node) == expected


def test_free_text_and_all_filters_together_reach_each_peer(federation: dict[str, Any]) -> None:
    """``q`` too, and every filter at once: each peer is sent all of them, repeated values included."""
    a: HubProcess = federation["a"]
    proxies: dict[str, DelayProxy] = federation["proxies"]
    together = [(param, "2030-12-31" if param == "until" else value) for param, value, _ in CASES]
    params = [("q", "biodiversity"), *together, ("type", "meeting")]
    before = {node: len(proxies[node].paths) for node in PEERS}

    data = _federated(a, params)

    outcomes = {p["id"]: p for p in data["peers"]}
    for node in PEERS:
        assert outcomes[node]["status"] == "ok", outcomes[node]
        asked = _asked(proxies[node], before[node])
        assert asked, f"{node} was not asked"
        for query in asked:
            missing = [p for p in params if p not in query]
            assert not missing, f"{node} was not sent {missing}"


def test_free_text_is_applied_by_each_peer(federation: dict[str, Any]) -> None:
    """A peer's total for ``q`` is what the peer finds for ``q`` when asked directly, fewer than all."""
    a: HubProcess = federation["a"]
    hubs: dict[str, HubProcess] = federation["hubs"]
    held: dict[str, list[Resource]] = federation["held"]

    data = _federated(a, [("q", "biodiversity")])

    outcomes = {p["id"]: p for p in data["peers"]}
    for node in PEERS:
        direct = httpx.get(hubs[node].url + "/api/search", params={"q": "biodiversity", "size": 1}).json()
        assert 0 < direct["total"] < len(held[node])
        assert outcomes[node]["total"] == direct["total"]
