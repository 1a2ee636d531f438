"""Peers registry: admin API and CLI, capability probing of a real hub, last known good when it is down."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.settings import Settings
from tests.support.hubs import HubProcess
from tests.support.oai_replay import OaiReplayServer, load_real_records

TOKEN = "peer-admin-secret"


@pytest.fixture(scope="module")
def peer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    records = [r for r in load_real_records() if r.identifier and not r.deleted and r.metadata][:10]
    with HubProcess(tmp_path_factory.mktemp("peer"), "centre-peer") as hub:
        with OaiReplayServer(records, page_size=10) as oai:
            hub.cli("sources", "add", "repo", "--protocol", "oai-pmh", "--url", oai.url)
            hub.cli("harvest", "repo")
        hub.serve()
        yield hub


def _client(home: Path, token: str | None = TOKEN) -> TestClient:
    settings = Settings(home=home, allow_private_networks=True, admin_token=token, node_id="local")
    return TestClient(create_app(settings))


def test_admin_api_registers_probes_and_keeps_last_known_good(peer: HubProcess, tmp_path: Path) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    direct = httpx.get(peer.url + "/api/search", params={"size": 1}).json()
    well_known = httpx.get(peer.url + "/.well-known/gkss-hub").json()
    with _client(tmp_path / "local") as client:
        assert client.get("/api/admin/peers").status_code == 401
        created = client.post("/api/admin/peers", json={"id": "centre-peer", "url": peer.url}, headers=auth)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["status"] == "up" and body["public_key"] == well_known["public_key"]
        caps = body["capabilities"]
        assert {"oai_dc", "gkss"} <= set(caps["oai_formats"]) and caps["search_api"] == "1"
        assert caps["languages"] == sorted(direct["facets"]["language"]) and caps["languages"]
        assert "source:repo" in caps["oai_sets"] and caps["records"] == direct["total"]
        assert (
            client.post(
                "/api/admin/peers", json={"id": "centre-peer", "url": peer.url}, headers=auth
            ).status_code
            == 400
        )

        wrong = client.post(
            "/api/admin/peers", json={"id": "someone-else", "url": peer.url}, headers=auth
        ).json()
        assert wrong["status"] == "down" and "says it is 'centre-peer'" in wrong["status_reason"]

        peer.stop()
        try:
            probed = client.post("/api/admin/peers/centre-peer/probe", headers=auth).json()
        finally:
            peer.serve()
        assert probed["status"] == "down" and probed["status_reason"]
        assert probed["capabilities"] == caps, "a failed probe keeps the last known good capabilities"
        assert probed["last_ok_at"] == body["last_ok_at"]
        assert [p["id"] for p in client.get("/api/admin/peers", headers=auth).json()] == [
            "centre-peer",
            "someone-else",
        ]
        assert client.delete("/api/admin/peers/someone-else", headers=auth).status_code == 204
        assert client.delete("/api/admin/peers/someone-else", headers=auth).status_code == 404
        doc = client.get("/.well-known/gkss-hub").json()
        assert doc["id"] == "local" and doc["key_type"] == "ed25519" and doc["signature"]
    with _client(tmp_path / "local", token=None) as client:
        assert client.get("/api/admin/peers").status_code == 401, "without credentials only loopback clients"


def test_cli_add_list_remove(peer: HubProcess, tmp_path: Path) -> None:
    local = HubProcess(tmp_path / "cli", "cli-hub")
    local.cli("peers", "add", "centre-peer", "--url", peer.url + "/", "--weight", "2")
    listed = json.loads(local.cli("peers", "list", "--json").stdout)
    assert [(p["id"], p["url"], p["weight"], p["status"]) for p in listed] == [
        ("centre-peer", peer.url, 2.0, "up")
    ]
    bad = local.cli("peers", "add", "x", "--url", "ftp://nowhere", check=False)
    assert bad.returncode == 2 and "http(s)" in bad.stderr
    local.cli("peers", "remove", "centre-peer")
    assert json.loads(local.cli("peers", "list", "--json").stdout) == []
    assert local.cli("peers", "remove", "centre-peer", check=False).returncode == 2


def test_serving_hub_reprobes_peers_periodically(peer: HubProcess, tmp_path: Path) -> None:
    with HubProcess(tmp_path / "prober", "prober", federation_probe_seconds="1") as local:
        local.cli("peers", "add", "centre-peer", "--url", peer.url)
        first = json.loads(local.cli("peers", "list", "--json").stdout)[0]["probed_at"]
        local.serve()
        answer = httpx.get(local.url + "/api/search", params={"federated": "true"}, timeout=30).json()
        # the peer never registered "prober": it answers with its own results all the same (one-way)
        own = httpx.get(peer.url + "/api/search", timeout=30).json()
        assert [(p["id"], p["status"], p.get("total")) for p in answer["peers"]] == [
            ("centre-peer", "ok", own["total"])
        ]
        deadline = time.monotonic() + 20
        while True:
            listed = httpx.get(local.url + "/api/admin/peers", timeout=10).json()[0]
            if listed["probed_at"] != first:
                break
            assert time.monotonic() < deadline, "no probe within 20 s with GKSS_FEDERATION_PROBE_SECONDS=1"
            time.sleep(0.5)
        assert listed["status"] == "up" and listed["capabilities"]["search_api"] == "1"
