"""The outbound guard with GKSS_ALLOW_PRIVATE_NETWORKS off: a peer, a WebSub callback and a source's
``notify_url`` on 127.0.0.1 are refused when registered (API and command line) and when used (probe,
fan-out, verification, delivery, notification), and a listener on 127.0.0.1 sees no connection at all."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest
from fastapi.testclient import TestClient

from federation.peers import add_peer, get_peer
from hub.api import create_app
from hub.api.federation_routes import probe_peers
from hub.context import Hub, open_hub
from hub.pipeline.notifications import notify_source
from hub.settings import Settings
from hub.websub.content import Push
from hub.websub.delivery import deliver
from hub.websub.verify import Intent, verify_intent

TOKEN = "guard-admin-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TOPIC = "http://testserver/feeds/atom"


class ConnectionCounter:
    """A TCP listener on 127.0.0.1 counting every connection made to it (any request needs one); it
    answers ``HTTP 204`` so that a connection that did get through would also look like success."""

    def __init__(self) -> None:
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                except OSError:
                    pass

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


@pytest.fixture
def counter() -> Iterator[ConnectionCounter]:
    with ConnectionCounter() as listener:
        yield listener


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Hub]:
    hub = open_hub(
        Settings(
            home=tmp_path / "guarded",
            allow_private_networks=False,
            admin_token=TOKEN,
            node_id="guarded",
            federation_probe_seconds=0,
        )
    )
    yield hub
    hub.close()


def gkss(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GKSS_HOME": str(home), "GKSS_ALLOW_PRIVATE_NETWORKS": "0", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_a_loopback_peer_is_refused_at_registration_and_at_use(
    guarded: Hub, counter: ConnectionCounter, tmp_path: Path
) -> None:
    with TestClient(create_app(hub=guarded)) as client:
        refused = client.post("/api/admin/peers", json={"id": "p", "url": counter.url}, headers=AUTH)
        assert refused.status_code == 400
        assert "peer URL refused" in refused.text and "loopback" in refused.text
        assert get_peer(guarded.store, "p") is None
        cli = gkss(tmp_path / "cli", "peers", "add", "p", "--url", counter.url)
        assert cli.returncode == 2 and "peer URL refused" in cli.stderr and "loopback" in cli.stderr

        # one stored before the switch was turned off: refused when probed and when searched
        add_peer(guarded.store, "p", counter.url, node_id=None)
        assert probe_peers(guarded, only="p") == {"p": False}
        searched = client.get("/api/search", params={"federated": "true"})
        assert searched.status_code == 200
        [peer] = searched.json()["peers"]
        assert peer["status"] == "error" and peer["reason"] == "the peer could not be searched"
        assert "127.0.0.1" not in searched.text and "loopback" not in searched.text
        admin = client.get("/api/admin/peers/p", headers=AUTH).json()
        assert "loopback" in str(admin["status_reason"]), "the detail is for the admin API"
        assert "loopback" in str(admin["breaker"]["reason"])
    assert counter.connections == 0


def test_a_loopback_websub_callback_is_refused_at_registration_and_at_use(
    guarded: Hub, counter: ConnectionCounter
) -> None:
    with TestClient(create_app(hub=guarded)) as client:
        form = {"hub.mode": "subscribe", "hub.callback": counter.url + "/cb", "hub.topic": TOPIC}
        refused = client.post("/websub", data=form)
        assert refused.status_code == 400 and "hub.callback refused" in refused.text
        assert "loopback" in refused.text
    policy = guarded.settings.http_policy()
    intent = Intent("subscribe", counter.url + "/cb", TOPIC, 3600)
    with pytest.raises(Exception, match="loopback"):
        verify_intent(intent, policy)
    push = Push(b"<feed/>", "application/atom+xml", f'<{TOPIC}>; rel="self"')
    delivered, outcome = deliver(counter.url + "/cb", None, push, policy, 2.0)
    assert not delivered and outcome.startswith("refused:") and "loopback" in outcome
    assert counter.connections == 0


def test_a_loopback_notify_url_is_refused_at_registration_and_at_use(
    guarded: Hub, counter: ConnectionCounter, tmp_path: Path
) -> None:
    # the source URL is a public address written as such: registration resolves no name (no DNS)
    body = {
        "id": "s",
        "protocol": "feed",
        "url": "http://93.184.216.34/feed.rss",
        "options": {"notify_url": counter.url + "/hook", "notify_on": "always"},
    }
    with TestClient(create_app(hub=guarded)) as client:
        refused = client.post("/api/admin/sources", json=body, headers=AUTH)
        assert refused.status_code == 400
        assert "notify_url refused" in refused.text and "loopback" in refused.text
        loopback_source = client.post(
            "/api/admin/sources", json={**body, "url": counter.url + "/feed", "options": {}}, headers=AUTH
        )
        assert loopback_source.status_code == 400 and "source URL refused" in loopback_source.text
    cli = gkss(
        tmp_path / "cli",
        *("sources", "add", "s", "--protocol", "feed", "--url", "http://93.184.216.34/feed.rss"),
        *("--option", f"notify_url={counter.url}/hook"),
    )
    assert cli.returncode == 2 and "notify_url refused" in cli.stderr and "loopback" in cli.stderr
    cli = gkss(tmp_path / "cli", "sources", "add", "t", "--protocol", "feed", "--url", counter.url + "/f")
    assert cli.returncode == 2 and "source URL refused" in cli.stderr

    # one stored before the switch was turned off: the notification is refused when a run ends
    row = guarded.store.add_source("s", "feed", body["url"], body["options"])  # type: ignore[arg-type]
    run_id = guarded.store.start_run("s", True, None).id
    guarded.store.finish_run(run_id, status="failed", error="feed unreachable")
    thread = notify_source(guarded, row, run_id, "failed")
    assert thread is not None
    thread.join(10)
    notes = json.dumps(guarded.store.get_run(run_id).notes)  # type: ignore[union-attr]
    assert "not delivered (refused:" in notes and "loopback" in notes
    assert counter.connections == 0
