"""Tenancy over real HTTP: node admins stay inside their subtree; revoked and expired keys get 401; audit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.http_replay import ReplayServer
from tests.support.hubs import HubProcess, free_port

FEED = Path(__file__).parents[1] / "fixtures" / "feeds" / "rss_2.0_dbengines.xml"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Tenancy:
    """A served hub with nodes gkssb > africa > ke and gkssb > asia, and one key per role under test."""

    def __init__(self, hub: HubProcess, feed_url: str) -> None:
        self.hub = hub
        self.feed_url = feed_url
        self.tokens: dict[str, str] = {}
        self.key_ids: dict[str, str] = {}

    def call(self, who: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = bearer(self.tokens[who]) if who else {}
        return httpx.request(method, self.hub.url + path, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def tenancy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tenancy]:
    with ReplayServer() as feeds, HubProcess(tmp_path_factory.mktemp("rights"), "gkssb") as hub:
        feeds.route("/africa.xml", FEED.read_bytes(), headers={"Content-Type": "application/rss+xml"})
        feeds.route("/asia.xml", FEED.read_bytes(), headers={"Content-Type": "application/rss+xml"})
        hub.cli("nodes", "add", "gkssb", "--name", "GKSSB", "--kind", "service")
        hub.cli("nodes", "add", "africa", "--name", "TSCC Africa", "--kind", "regional", "--parent", "gkssb")
        hub.cli("nodes", "add", "ke", "--name", "Kenya CHM", "--kind", "national", "--parent", "africa")
        hub.cli("nodes", "add", "asia", "--name", "TSCC Asia", "--kind", "regional", "--parent", "gkssb")
        hub.serve()
        yield Tenancy(hub, feeds.url)


def test_loopback_bootstrap_then_keys_scope_every_admin_route(tenancy: Tenancy) -> None:
    t = tenancy
    # A fresh hub with no keys: its loopback operator is the hub admin, and creates the first keys.
    assert [n["id"] for n in t.call(None, "GET", "/api/admin/nodes").json()] == [
        "africa",
        "asia",
        "gkssb",
        "ke",
    ]
    for who, node, role in [
        ("hub", "gkssb", "hub-admin"),
        ("africa", "africa", "node-admin"),
        ("asia", "asia", "node-admin"),
        ("africa-reader", "africa", "reader"),
    ]:
        made = t.call(None, "POST", "/api/admin/keys", json={"node": node, "role": role, "label": who})
        if who != "hub":  # the first key ended the loopback bootstrap: from now on keys only
            made = t.call("hub", "POST", "/api/admin/keys", json={"node": node, "role": role, "label": who})
        assert made.status_code == 201, made.text
        assert made.json()["token"].startswith("gkss_") and made.json()["state"] == "active"
        t.tokens[who], t.key_ids[who] = made.json()["token"], made.json()["id"]
    assert t.call(None, "GET", "/api/admin/nodes").status_code == 401
    listed = t.call("hub", "GET", "/api/admin/keys").json()
    secrets = [token.split("_", 2)[2] for token in t.tokens.values()]
    assert all("token" not in key for key in listed) and not any(secret in str(listed) for secret in secrets)

    # Each node admin registers a source under its own subtree (africa's under its national node).
    made = t.call(
        "africa",
        "POST",
        "/api/admin/sources",
        json={"id": "ke-news", "protocol": "feed", "url": t.feed_url + "/africa.xml", "node": "ke"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["node"] == "ke"
    made = t.call(
        "asia",
        "POST",
        "/api/admin/sources",
        json={"id": "asia-news", "protocol": "feed", "url": t.feed_url + "/asia.xml"},
    )
    assert made.status_code == 201 and made.json()["node"] == "asia"
    t.hub.cli("harvest", "--all")
    asia_runs = t.call("asia", "GET", "/api/admin/sources/asia-news/runs").json()
    assert asia_runs and asia_runs[0]["added"] > 0
    asia_run = asia_runs[0]["id"]
    dead = f"http://127.0.0.1:{free_port()}"
    assert (
        t.call("asia", "POST", "/api/admin/peers", json={"id": "asia-peer", "url": dead}).status_code == 201
    )

    # Africa's admin sees only its subtree...
    assert [s["id"] for s in t.call("africa", "GET", "/api/admin/sources").json()] == ["ke-news"]
    assert {n["id"] for n in t.call("africa", "GET", "/api/admin/nodes").json()} == {"africa", "ke"}
    assert {k["node"] for k in t.call("africa", "GET", "/api/admin/keys").json()} == {"africa"}
    assert t.call("africa", "GET", "/api/admin/peers").json() == []
    # ...and gets 403 on every one of asia's sources, runs, keys and peers.
    refused = [
        ("GET", "/api/admin/sources/asia-news", {}),
        ("PATCH", "/api/admin/sources/asia-news", {"json": {"url": t.feed_url + "/africa.xml"}}),
        ("DELETE", "/api/admin/sources/asia-news", {}),
        ("GET", "/api/admin/sources/asia-news/runs", {}),
        ("GET", "/api/admin/sources/asia-news/quality", {}),
        ("GET", f"/api/admin/runs/{asia_run}", {}),
        (
            "POST",
            "/api/admin/sources",
            {"json": {"id": "x", "protocol": "feed", "url": t.feed_url, "node": "asia"}},
        ),
        ("POST", "/api/admin/keys", {"json": {"node": "asia", "role": "node-admin"}}),
        ("DELETE", f"/api/admin/keys/{t.key_ids['asia']}", {}),
        ("POST", "/api/admin/keys", {"json": {"node": "africa", "role": "hub-admin"}}),
        ("GET", "/api/admin/peers/asia-peer", {}),
        ("DELETE", "/api/admin/peers/asia-peer", {}),
        ("POST", "/api/admin/peers", {"json": {"id": "p2", "url": dead, "node": "asia"}}),
        ("GET", "/api/admin/nodes/asia", {}),
    ]
    for method, path, kwargs in refused:
        assert t.call("africa", method, path, **kwargs).status_code == 403, (method, path)
    assert t.call("asia", "GET", "/api/admin/sources/asia-news").json()["url"] == t.feed_url + "/asia.xml"
    assert t.call("asia", "GET", "/api/admin/peers/asia-peer").status_code == 200
    # Its own admin sets the source's webhook policy, and removes it again with nulls.
    hook = {"notify_url": t.feed_url + "/hook", "notify_on": "always"}
    changed = t.call("asia", "PATCH", "/api/admin/sources/asia-news", json={"options": hook})
    assert changed.status_code == 200 and changed.json()["options"] == hook
    bad = t.call(
        "asia", "PATCH", "/api/admin/sources/asia-news", json={"options": {"notify_on": "sometimes"}}
    )
    assert bad.status_code == 400 and "notify_on" in bad.text
    cleared = {"notify_url": None, "notify_on": None}
    changed = t.call("asia", "PATCH", "/api/admin/sources/asia-news", json={"options": cleared})
    assert changed.json()["options"] == {}

    # A reader reads its node's sources but changes nothing.
    assert t.call("africa-reader", "GET", "/api/admin/sources/ke-news").status_code == 200
    assert t.call("africa-reader", "DELETE", "/api/admin/sources/ke-news").status_code == 403
    # The hub admin reaches everything.
    assert {s["id"] for s in t.call("hub", "GET", "/api/admin/sources").json()} == {"ke-news", "asia-news"}
    assert t.call("hub", "GET", f"/api/admin/runs/{asia_run}").status_code == 200


def test_revoked_and_expired_keys_get_401(tenancy: Tenancy) -> None:
    t = tenancy
    made = t.call("hub", "POST", "/api/admin/keys", json={"node": "ke", "role": "node-admin"}).json()
    t.tokens["ke"] = made["token"]
    assert t.call("ke", "GET", "/api/admin/sources").status_code == 200
    assert t.call("hub", "DELETE", f"/api/admin/keys/{made['id']}").json()["state"] == "revoked"
    refused = t.call("ke", "GET", "/api/admin/sources")
    assert refused.status_code == 401 and refused.headers["www-authenticate"] == "Bearer"

    short = t.call(
        "hub", "POST", "/api/admin/keys", json={"node": "ke", "role": "reader", "expires_in_days": 2 / 86400}
    )
    t.tokens["short"] = short.json()["token"]
    assert t.call("short", "GET", "/api/admin/sources").status_code == 200
    time.sleep(2.5)
    assert t.call("short", "GET", "/api/admin/sources").status_code == 401
    assert t.call("hub", "GET", "/api/admin/keys").json()[-1]["state"] == "expired"
    # A well-formed token with a wrong secret, and garbage, are refused alike.
    forged = "_".join(t.tokens["asia"].split("_", 2)[:2]) + "_" + "A" * 43
    t.tokens["forged"], t.tokens["garbage"] = forged, "not-a-key"
    assert t.call("forged", "GET", "/api/admin/sources").status_code == 401
    assert t.call("garbage", "GET", "/api/admin/sources").status_code == 401


def test_every_admin_action_and_refusal_is_in_the_audit_log(tenancy: Tenancy) -> None:
    t = tenancy
    log = t.call("hub", "GET", "/api/admin/audit", params={"limit": 1000}).json()
    seen = {(e["actor"], e["action"], e["target"], e["outcome"]) for e in log}
    cli = next(e["actor"] for e in log if e["action"] == "node.add")
    assert cli.startswith("cli:")
    expected = {
        (cli, "node.add", "node gkssb", "ok"),
        (cli, "node.add", "node ke", "ok"),
        ("loopback", "key.create", f"key {t.key_ids['hub']}", "ok"),
        (f"key:{t.key_ids['hub']}", "key.create", f"key {t.key_ids['africa']}", "ok"),
        (f"key:{t.key_ids['africa']}", "source.add", "source ke-news", "ok"),
        (f"key:{t.key_ids['asia']}", "source.add", "source asia-news", "ok"),
        (f"key:{t.key_ids['asia']}", "peer.add", "peer asia-peer", "ok"),
        (f"key:{t.key_ids['africa']}", "source.update", "source asia-news", "denied"),
        (f"key:{t.key_ids['africa']}", "source.remove", "source asia-news", "denied"),
        (f"key:{t.key_ids['africa']}", "key.revoke", f"key {t.key_ids['asia']}", "denied"),
        (f"key:{t.key_ids['africa']}", "peer.remove", "peer asia-peer", "denied"),
        (f"key:{t.key_ids['africa-reader']}", "source.remove", "source ke-news", "denied"),
        (f"key:{t.key_ids['hub']}", "key.revoke", f"key {t.tokens['ke'].split('_')[1]}", "ok"),
    }
    assert expected <= seen, expected - seen
    # Node admins read only their own nodes' entries.
    africa_log = t.call("africa", "GET", "/api/admin/audit", params={"limit": 1000}).json()
    assert africa_log and {e["node"] for e in africa_log} <= {"africa", "ke"}
    cli_log = t.hub.cli("audit", "--json", "--node", "asia", "--limit", "1000").stdout
    assert "source asia-news" in cli_log and "ke-news" not in cli_log
