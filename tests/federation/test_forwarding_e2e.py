"""Multi-hop federated search between real hubs: A knows B, B knows A and E; A's search reaches E through
B once, B does not ask A back, and the hop limit stops forwarding."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import httpx

from tests.support.hubs import HubProcess
from tests.support.oai_replay import OaiReplayServer, load_real_records


def test_search_is_forwarded_one_hop_without_loops(tmp_path: Path) -> None:
    live = [r for r in load_real_records() if r.identifier and not r.deleted and r.metadata]
    subsets = {"a": live[0:6], "b": live[6:12], "e": live[12:18]}
    with ExitStack() as stack:
        hubs = {n: stack.enter_context(HubProcess(tmp_path / n, n, federation_max_hops="2")) for n in subsets}
        for node, records in subsets.items():
            with OaiReplayServer(records, page_size=10) as oai:
                hubs[node].cli("sources", "add", "repo", "--protocol", "oai-pmh", "--url", oai.url)
                hubs[node].cli("harvest", "repo")
            hubs[node].serve()
        a, b, e = hubs["a"], hubs["b"], hubs["e"]
        a.cli("peers", "add", "b", "--url", b.url)
        b.cli("peers", "add", "a", "--url", a.url)
        b.cli("peers", "add", "e", "--url", e.url)
        e.cli("peers", "add", "b", "--url", b.url)

        data = httpx.get(a.url + "/api/search", params={"federated": "true", "size": 100}, timeout=30).json()
        assert [(p["id"], p["status"]) for p in data["peers"]] == [("b", "ok")]
        got = sorted(str(r["provenance"]["native_id"]) for r in data["results"])
        assert got == sorted(r.identifier or "" for r in live[0:18]), (
            "e's records arrive through b, once each"
        )
        origin = {str(r["provenance"]["native_id"]): r["hub"] for r in data["results"]}
        assert {n: {origin[r.identifier or ""] for r in subsets[n]} for n in subsets} == {
            "a": {"a"},
            "b": {"b"},
            "e": {"e"},
        }, "each result names the hub that holds it, also through a forwarding hub"

        # what b answers a signed, forwarded request: e asked, a (the caller) skipped
        from federation.identity import Route, signed_headers
        from hub.identity import identity_of
        from hub.settings import Settings

        me = identity_of(Settings(home=a.home, node_id="a"))
        query = "federated=true&size=100"
        forwarded = httpx.get(
            f"{b.url}/api/search?{query}", headers=signed_headers(me, "GET", query, Route(1, ("a", "b")))
        ).json()
        assert {p["id"]: p["status"] for p in forwarded["peers"]} == {"a": "skipped", "e": "ok"}
        at_limit = httpx.get(
            f"{b.url}/api/search?{query}", headers=signed_headers(me, "GET", query, Route(2, ("a", "b")))
        ).json()
        assert {p["id"]: p["status"] for p in at_limit["peers"]} == {"a": "skipped", "e": "skipped"}
        assert len(at_limit["results"]) == len(subsets["b"]), "at the hop limit only the local index answers"
