"""The search cluster settings: engine choice, credentials and CA bundle are checked; the engine is read
from what a URL's ``GET /`` answers (real answers of Elasticsearch 9 and OpenSearch 3)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from hub.cluster_connection import ClusterConnection, EngineDetectionError, detect_engine, engine_of
from hub.settings import Settings

# GET / of the local Elasticsearch 9.1.0 and OpenSearch 3.x clusters (deploy/local), as they answered
ELASTICSEARCH_ROOT = {
    "name": "node-1",
    "cluster_name": "gkss-local",
    "cluster_uuid": "81ZWbxNqRLWRT-4uNLialQ",
    "version": {
        "number": "9.1.0",
        "build_flavor": "default",
        "build_type": "tar",
        "build_hash": "00e7d33bf08f1476229d9d1642e2da46cfebdd53",
        "build_date": "2025-07-23T22:09:53.891289976Z",
        "build_snapshot": False,
        "lucene_version": "10.2.2",
        "minimum_wire_compatibility_version": "8.19.0",
        "minimum_index_compatibility_version": "8.0.0",
    },
    "tagline": "You Know, for Search",
}
OPENSEARCH_ROOT = {
    "name": "Node 1",
    "cluster_name": "gkss-local",
    "cluster_uuid": "C2uvlthOT-eDyEBYcOooQg",
    "version": {
        "distribution": "opensearch",
        "number": "3.8.0",
        "build_type": "unknown",
        "build_hash": "e5a3c5691be87af6c12dbe3e158c59c04ee72973",
        "build_date": "2026-08-01T18:48:00.452816924Z",
        "build_snapshot": False,
        "lucene_version": "10.5.0",
        "minimum_wire_compatibility_version": "2.19.0",
        "minimum_index_compatibility_version": "2.0.0",
    },
    "tagline": "The OpenSearch Project: https://opensearch.org/",
}


class _Root(BaseHTTPRequestHandler):
    answer: ClassVar[dict[str, object]] = {}
    product: ClassVar[str | None] = None
    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.headers.get("Authorization"))
        body = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if type(self).product:
            self.send_header("X-Elastic-Product", str(type(self).product))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def root_server() -> Iterator[tuple[str, type[_Root]]]:
    handler = type("Root", (_Root,), {"answer": {}, "product": None, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_engine_of_real_root_answers() -> None:
    assert engine_of(ELASTICSEARCH_ROOT, "Elasticsearch") == "elasticsearch"
    assert engine_of(ELASTICSEARCH_ROOT) == "elasticsearch"  # the tagline, no distribution
    assert engine_of(OPENSEARCH_ROOT) == "opensearch"
    assert engine_of({"hello": "world"}) is None


def test_engine_is_detected_from_the_url(root_server: tuple[str, type[_Root]]) -> None:
    url, handler = root_server
    handler.answer, handler.product = ELASTICSEARCH_ROOT, "Elasticsearch"
    assert detect_engine(url, ClusterConnection()) == "elasticsearch"
    handler.answer, handler.product = OPENSEARCH_ROOT, None
    assert detect_engine(url, ClusterConnection()) == "opensearch"
    # the first node that answers counts: a dead one first in the list is skipped
    assert detect_engine(f"http://127.0.0.1:9,{url}", ClusterConnection()) == "opensearch"


def test_credentials_go_with_the_detection_request(root_server: tuple[str, type[_Root]]) -> None:
    url, handler = root_server
    handler.answer = ELASTICSEARCH_ROOT
    detect_engine(url, ClusterConnection.parse(username="hub", password="s3cret"))
    detect_engine(url, ClusterConnection.parse(api_key="id1:key1"))
    assert handler.seen == [
        "Basic " + base64.b64encode(b"hub:s3cret").decode(),
        "ApiKey " + base64.b64encode(b"id1:key1").decode(),
    ]


def test_an_unknown_answer_or_no_answer_is_a_clear_error(root_server: tuple[str, type[_Root]]) -> None:
    url, handler = root_server
    handler.answer = {"hello": "world"}
    with pytest.raises(EngineDetectionError, match="names neither Elasticsearch nor OpenSearch"):
        detect_engine(url, ClusterConnection())
    with pytest.raises(EngineDetectionError, match="GKSS_SEARCH_ENGINE"):
        detect_engine("http://127.0.0.1:9", ClusterConnection())


def test_the_engine_setting_overrides_detection() -> None:
    # nothing listens on port 9: the setting alone decides
    assert detect_engine("http://127.0.0.1:9", ClusterConnection.parse("OpenSearch")) == "opensearch"
    assert detect_engine("http://127.0.0.1:9", ClusterConnection.parse("elasticsearch")) == "elasticsearch"


def test_settings_parse_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    monkeypatch.setenv("GKSS_SEARCH_ENGINE", "elasticsearch")
    monkeypatch.setenv("GKSS_SEARCH_USERNAME", "gkss-hub")
    monkeypatch.setenv("GKSS_SEARCH_PASSWORD", "pa:ss word")
    monkeypatch.setenv("GKSS_SEARCH_CA_CERTS", str(ca))
    connection = Settings().search_connection()
    assert connection == ClusterConnection("elasticsearch", "gkss-hub", "pa:ss word", None, str(ca))
    assert connection.basic_auth() == ("gkss-hub", "pa:ss word")
    assert connection.headers() == {
        "Authorization": "Basic " + base64.b64encode(b"gkss-hub:pa:ss word").decode()
    }


def test_api_key_forms() -> None:
    encoded = base64.b64encode(b"VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw").decode()
    assert ClusterConnection.parse(api_key=encoded).encoded_api_key() == encoded
    assert (
        ClusterConnection.parse(api_key="VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw").encoded_api_key()
        == encoded
    )
    assert ClusterConnection.parse().headers() == {}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"engine": "solr"}, "GKSS_SEARCH_ENGINE must be one of auto, elasticsearch, opensearch"),
        ({"username": "hub"}, "set both or neither"),
        ({"password": "secret"}, "set both or neither"),
        ({"username": "hub", "password": "x", "api_key": "abc"}, "not both"),
        ({"api_key": "id:"}, "needs both parts"),
        ({"ca_certs": "/nonexistent/ca.pem"}, "GKSS_SEARCH_CA_CERTS names no file"),
    ],
)
def test_bad_settings_name_the_setting(settings: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ClusterConnection.parse(**settings)


def test_empty_values_mean_unset() -> None:
    assert ClusterConnection.parse("", "", "", "", "") == ClusterConnection()


def test_client_options_carry_the_credentials_under_each_clients_names(tmp_path: Path) -> None:
    from hub.search.elastic import _NAMES as ELASTIC
    from hub.search.opensearch import _NAMES as OPENSEARCH

    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
    user = ClusterConnection.parse(username="u", password="p", ca_certs=str(ca))
    key = ClusterConnection.parse(api_key="id:secret")
    encoded = base64.b64encode(b"id:secret").decode()
    common = {"max_retries": 3, "retry_on_timeout": True, "ca_certs": str(ca)}
    assert user.client_options(ELASTIC, timeout=5.0, pool=4) == {
        "request_timeout": 5.0, "connections_per_node": 4, "basic_auth": ("u", "p"), **common
    }  # fmt: skip
    assert user.client_options(OPENSEARCH, timeout=5.0, pool=4) == {
        "timeout": 5.0, "pool_maxsize": 4, "http_auth": ("u", "p"), **common
    }  # fmt: skip
    assert key.client_options(ELASTIC, timeout=1.0, pool=1)["api_key"] == encoded
    assert key.client_options(OPENSEARCH, timeout=1.0, pool=1)["headers"] == {
        "Authorization": f"ApiKey {encoded}"
    }
    assert "ca_certs" not in key.client_options(ELASTIC, timeout=1.0, pool=1)
