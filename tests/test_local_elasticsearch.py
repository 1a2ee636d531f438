"""deploy/local/elasticsearch runs a real Elasticsearch 9, green, listening on 127.0.0.1 only.

Runs on the cluster GKSS_TEST_SEARCH_URL names when that is Elasticsearch started by
deploy/local/elasticsearch (same GKSS_LOCAL_DIR, as tests/run.sh does); skips, saying why, otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "deploy" / "local" / "elasticsearch"
LISTEN = "0A"  # TCP state in /proc/net/tcp*


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1: never through a proxy


def _get(url: str) -> dict[str, object]:
    with _OPENER.open(url, timeout=30) as answer:
        data = json.loads(answer.read())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def elasticsearch_url() -> str:
    url = os.environ.get("GKSS_TEST_SEARCH_URL", "").split(",")[0]
    if not url:
        pytest.skip("GKSS_TEST_SEARCH_URL is not set (URL=$(deploy/local/elasticsearch up --nodes 3))")
    version = _get(url + "/").get("version")
    if not isinstance(version, dict) or version.get("distribution") == "opensearch":
        pytest.skip("GKSS_TEST_SEARCH_URL is not Elasticsearch")
    return url


def _decode(address: str) -> str:
    """An address of /proc/net/tcp{,6} (little-endian hex words) as text."""
    host, _, port = address.partition(":")
    words = [bytes.fromhex(host[i : i + 8])[::-1] for i in range(0, len(host), 8)]
    raw = b"".join(words)
    if len(raw) == 4:
        text = ".".join(str(b) for b in raw)
    elif raw[:12] == b"\0" * 10 + b"\xff\xff":
        text = "::ffff:" + ".".join(str(b) for b in raw[12:])
    else:
        text = ":".join(raw[i : i + 2].hex() for i in range(0, 16, 2))
    return f"{text}:{int(port, 16)}"


def listening_sockets(pid: int) -> list[str]:
    """Every listening TCP socket of a process, as ``address:port``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("tcp", "tcp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[3] == LISTEN and fields[9] in inodes:
                found.append(_decode(fields[1]))
    return found


def test_get_root_reports_elasticsearch_9(elasticsearch_url: str) -> None:
    info = _get(elasticsearch_url + "/")
    version = info["version"]
    assert isinstance(version, dict)
    assert str(version["number"]).startswith("9.")
    assert "distribution" not in version
    assert info["tagline"] == "You Know, for Search"
    request = urllib.request.Request(elasticsearch_url + "/", method="HEAD")
    with _OPENER.open(request, timeout=30) as answer:
        assert answer.status == 200
        assert answer.headers["X-elastic-product"] == "Elasticsearch"


def test_cluster_is_green_with_every_node(elasticsearch_url: str) -> None:
    nodes = int(os.environ.get("GKSS_TEST_SEARCH_NODES") or 1)
    health = _get(
        f"{elasticsearch_url}/_cluster/health?wait_for_status=green&wait_for_nodes={nodes}&timeout=60s"
    )
    assert health["status"] == "green", health
    assert health["number_of_nodes"] == nodes


def test_every_listening_socket_is_on_loopback(elasticsearch_url: str) -> None:
    done = subprocess.run([str(SCRIPT), "pids"], capture_output=True, text=True, timeout=60, check=True)
    pids = [int(p) for p in done.stdout.split()]
    if not pids:
        pytest.skip(
            "deploy/local/elasticsearch pids lists no node (cluster started with another GKSS_LOCAL_DIR?)"
        )
    nodes = int(os.environ.get("GKSS_TEST_SEARCH_NODES") or 1)
    assert len(pids) == nodes
    sockets = [s for pid in pids for s in listening_sockets(pid)]
    http_port = urlsplit(elasticsearch_url).port
    assert f"127.0.0.1:{http_port}" in {
        s.removeprefix("::ffff:") for s in sockets
    }  # these pids serve the URL
    assert len(sockets) >= 2 * nodes  # HTTP and transport of each node
    outside = [s for s in sockets if s.removeprefix("::ffff:").rsplit(":", 1)[0] != "127.0.0.1"]
    assert outside == [], f"listening beyond 127.0.0.1: {outside}"
