"""Hostile sources end to end: every payload of the shared security and compression sets, and a slow-drip
server, ends in a clear failed run; nothing is fetched from disk or the network on their behalf; what was
stored before survives; the other sources harvest normally."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import httpx

from tests.support.http_replay import ReplayServer
from tests.support.hubs import HubProcess

SECURITY = Path(__file__).parents[1] / "fixtures" / "security"
FEEDS = Path(__file__).parents[1] / "fixtures" / "feeds"
GOOD_FEED = FEEDS / "rss_1.0_spec_1.xml"
CAP = 1024 * 1024  # GKSS_MAX_RESPONSE_BYTES for this hub: the bombs inflate far beyond it
DRIP_TIMEOUT = 3  # GKSS_HTTP_TOTAL_TIMEOUT


def xxe_documents(base: str) -> list[bytes]:
    """The fuzzer's ten XXE and entity-expansion documents, their remote URLs pointed at 127.0.0.1 so
    any fetch they tried would be seen by the test server."""
    text = (SECURITY / "xxe-injection-payloads.txt").read_bytes()
    text = re.sub(rb"https?://(example\.com|localhost:8090)", base.encode(), text)
    return [(b"<?xml" + part).strip() for part in text.split(b"<?xml")[1:]]


def hostile_routes(site: ReplayServer) -> dict[str, tuple[str, str, str]]:
    """Serve every hostile body; returns source id -> (protocol, path, expected error pattern)."""
    sources: dict[str, tuple[str, str, str]] = {}
    xml = {"Content-Type": "text/xml"}
    site.route("/malicious.dtd", (SECURITY / "evil.dtd").read_bytes())
    site.route("/simple.dtd", (SECURITY / "simple.dtd").read_bytes())
    for n, document in enumerate(xxe_documents(site.url)):
        site.route(f"/xxe/oai/{n}", document, headers=xml)
        sources[f"xxe-oai-{n}"] = ("oai-pmh", f"/xxe/oai/{n}", r"UnsafeContent: .*DTD with entities; refused")
        site.route(f"/xxe/feed/{n}", document, headers=xml)
        sources[f"xxe-feed-{n}"] = (
            "feed",
            f"/xxe/feed/{n}",
            r"UnsafeContent: .*declares entities in its DTD; refused",
        )
    for encoding in ("gzip", "deflate"):
        site.route(
            f"/bomb/{encoding}",
            (SECURITY / f"bomb-{encoding}.bin").read_bytes(),
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": encoding},
        )
        sources[f"bomb-{encoding}"] = (
            "feed",
            f"/bomb/{encoding}",
            rf"decompressed body exceeds the {CAP}-byte cap \({encoding}\)",
        )
    for encoding, name in (("br", "bomb-br.bin"), ("zstd", "bomb-zstd.bin")):
        site.route(
            f"/bomb/{encoding}",
            (SECURITY / name).read_bytes(),
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": encoding},
        )
        sources[f"bomb-{encoding}"] = (
            "feed",
            f"/bomb/{encoding}",
            rf"Content-Encoding '{encoding}' was not asked for; refused",
        )
    for name in ("truncated-crc-error.gz", "truncated-crc-error-short.gz", "unexpected-eof.gz"):
        site.route(
            f"/broken/{name}",
            (SECURITY / name).read_bytes(),
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        )
        sources[f"broken-{name.split('.')[0]}"] = (
            "feed",
            f"/broken/{name}",
            r"(truncated|corrupt) gzip body",
        )
    for name in ("feed-sample1.tar", "feed-sample1.xml.bz2", "feed-sample1.zip", "feed-sample1.xml.gz"):
        site.route(
            f"/archive/{name}",
            (SECURITY / name).read_bytes(),
            headers={"Content-Type": "application/octet-stream"},
        )
        sources[f"archive-{name.replace('.', '-')}"] = (
            "feed",
            f"/archive/{name}",
            r"MalformedResponse: .*not a feed",
        )
    # A slow drip: 64 bytes every 0.3 s would take a minute; the total deadline cuts it off.
    site.route(
        "/drip",
        GOOD_FEED.read_bytes(),
        headers={"Content-Type": "application/rss+xml"},
        chunk_delay=0.3,
        chunk_size=64,
    )
    sources["drip"] = ("feed", "/drip", rf"response not complete within {DRIP_TIMEOUT} s")
    return sources


def runs_of(hub: HubProcess, source_id: str) -> list[dict[str, Any]]:
    return httpx.get(f"{hub.url}/api/admin/sources/{source_id}/runs").json()  # type: ignore[no-any-return]


def add_source(hub: HubProcess, source_id: str, protocol: str, url: str) -> None:
    """Register over the admin API (a fresh hub's loopback operator is its admin)."""
    options = {"metadata_prefix": "oai_dc"} if protocol == "oai-pmh" else {}
    body = {"id": source_id, "protocol": protocol, "url": url, "options": options}
    response = httpx.post(hub.url + "/api/admin/sources", json=body)
    assert response.status_code == 201, response.text


def test_every_hostile_payload_is_a_recorded_refusal_and_nothing_is_lost(tmp_path: Path) -> None:
    settings = {"max_response_bytes": str(CAP), "http_total_timeout": str(DRIP_TIMEOUT)}
    with ReplayServer() as site, HubProcess(tmp_path / "hub", "hostile", **settings) as hub:
        good = GOOD_FEED.read_bytes().replace(b"http://xml.com", site.url.encode())
        site.route(
            "/good.rss",
            gzip.compress(good),
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        )
        site.route("/keeper.rss", good, headers={"Content-Type": "application/rss+xml"})
        hub.serve()
        add_source(hub, "good", "feed", site.url + "/good.rss")
        add_source(hub, "keeper", "feed", site.url + "/keeper.rss")
        hub.cli("harvest", "keeper")
        kept = runs_of(hub, "keeper")[0]["added"]
        assert kept == good.count(b"<item ")

        sources = hostile_routes(site)
        for source_id, (protocol, path, _) in sources.items():
            add_source(hub, source_id, protocol, site.url + path)
        # The keeper's server turns hostile: a gzip bomb where its feed was.
        site.route(
            "/keeper.rss",
            (SECURITY / "bomb-gzip.bin").read_bytes(),
            headers={"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
        )
        sources["keeper"] = ("feed", "/keeper.rss", rf"decompressed body exceeds the {CAP}-byte cap \(gzip\)")

        result = hub.cli("harvest", "--all", check=False)
        assert result.returncode != 0, "a harvest with failed runs exits non-zero"

        for source_id, (_, _, pattern) in sources.items():
            last = runs_of(hub, source_id)[0]
            assert last["status"] == "failed", (source_id, last)
            assert re.search(pattern, last["error"] or ""), (source_id, last["error"])
            assert "root:" not in json.dumps(last), "nothing from /etc/passwd reaches a run"
        good_run = runs_of(hub, "good")[0]
        assert good_run["status"] == "succeeded" and good_run["added"] == good.count(b"<item ")

        # No entity, DTD or exfiltration URL named by a payload was ever requested.
        asked = {entry.path for entry in site.request_log}
        assert not asked & {"/malicious.dtd", "/simple.dtd", "/secret.txt", "/large.xml", "/steal", "/"}
        # What the keeper had is still stored and searchable.
        listed = {s["id"]: s for s in httpx.get(hub.url + "/api/admin/sources").json()}
        assert listed["keeper"]["records"] == kept
        found = httpx.get(hub.url + "/api/search", params={"source": "keeper"}).json()
        assert found["total"] == kept
        assert {listed[s]["records"] for s in sources if s != "keeper"} == {0}


def test_with_the_development_switch_off_a_loopback_source_is_refused_before_any_request(
    tmp_path: Path,
) -> None:
    with ReplayServer() as site, HubProcess(tmp_path / "hub", "guarded", allow_private_networks="0") as hub:
        site.route("/feed.rss", GOOD_FEED.read_bytes(), headers={"Content-Type": "application/rss+xml"})
        # The same server under its loopback name, and a redirect that would lead to it.
        site.route("/hop", status=302, headers={"Location": site.url + "/feed.rss"})
        named = site.url.replace("127.0.0.1", "localhost")
        # refused at registration, with the reason
        refused = hub.cli("sources", "add", "loopback", "--protocol", "feed", "--url", site.url, check=False)
        assert refused.returncode == 2 and "source URL refused" in refused.stderr
        assert "loopback" in refused.stderr
        # and at use, when they were registered while the switch was on
        hub.env["GKSS_ALLOW_PRIVATE_NETWORKS"] = "1"
        hub.cli("sources", "add", "loopback", "--protocol", "feed", "--url", site.url + "/feed.rss")
        hub.cli("sources", "add", "named", "--protocol", "oai-pmh", "--url", named + "/oai")
        hub.env["GKSS_ALLOW_PRIVATE_NETWORKS"] = "0"
        result = hub.cli("harvest", "--all", check=False)
        probe = hub.cli("sources", "probe", site.url + "/hop", "--json", check=False)
        assert site.request_log == [], "nothing was sent to the private address"
    assert result.returncode != 0
    with hub.serve():  # stopped when the block ends (the hub's context above has already ended)
        for source_id in ("loopback", "named"):
            last = runs_of(hub, source_id)[0]
            assert last["status"] == "failed"
            assert re.search(r"resolves to (127\.0\.0\.1|::1), .*; refused", last["error"]), last["error"]
    assert probe.returncode == 1 and "refused" in json.dumps(json.loads(probe.stdout)["notes"])
