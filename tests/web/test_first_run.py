"""`gkss serve --seed cbd`: a new hub enables the CBD's own sources and harvests them by itself; the
portal shows CBD records with no other command (the CBD index replayed on 127.0.0.1 from real payloads)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from harvesters.cbd_index import PRESETS
from registry.seed import CBD_FEEDS
from tests.support.hubs import HubProcess
from tests.web.browser import chromium, local_only, screenshot
from tests.web.conftest import cbd_meeting_docs

pytestmark = pytest.mark.browser


@contextmanager
def replayed_cbd() -> Iterator[tuple[str, list[str]]]:
    """The CBD on 127.0.0.1: the index answers a query for meetings with the 15 real meeting documents
    and any other query with no document; the feeds are not there (404). Yields the URL and the paths
    asked for."""
    docs = cbd_meeting_docs()
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            parts = urlsplit(self.path)
            if parts.path != "/api/v2013/index/select":
                self.send_error(404)
                return
            query = " ".join(v for values in parse_qs(parts.query).values() for v in values)
            start = int(parse_qs(parts.query).get("start", ["0"])[0])
            found = docs if "schema_s:meeting" in query else []
            body = {"responseHeader": {"status": 0}, "response": {"numFound": len(found), "start": start,
                    "docs": found[start:]}}  # fmt: skip
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_hub_started_with_seed_cbd_shows_cbd_records_by_itself(tmp_path: Path) -> None:
    cop17 = next(d for d in cbd_meeting_docs() if d.get("symbol_s") == "COP-17")
    with replayed_cbd() as (cbd, asked), HubProcess(tmp_path / "hub", "first-run") as hub:
        hub.serve("--seed", "cbd", "--seed-mirror", cbd)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = httpx.get(hub.url + "/api/search", params={"source": "cbd-meetings"}).json()
            if found["total"] == len(cbd_meeting_docs()):
                break
            time.sleep(0.5)
        assert found["total"] == len(cbd_meeting_docs()), "the meetings were harvested with no command"
        sources = {s["id"]: s for s in httpx.get(hub.url + "/api/admin/sources").json()}  # loopback admin
        expected = {f"cbd-{p}" for p in PRESETS} | {f"cbd-rss-{name}" for name in CBD_FEEDS}
        assert set(sources) == expected and all(s["options"]["enabled"] for s in sources.values())
        assert all(urlsplit(s["url"]).netloc == urlsplit(cbd).netloc for s in sources.values())
        assert any(urlsplit(p).path == "/api/v2013/index/select" for p in asked)
        with chromium() as browser:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            outside = local_only(context)
            page = context.new_page()
            page.goto(hub.url + "/?q=COP-17")
            page.locator("gkss-search >> li.result").first.wait_for(timeout=15000)
            first = page.locator("gkss-search >> li.result h3").first.inner_text()
            assert first == cop17["title_EN_t"]
            meta = page.locator("gkss-search >> li.result .meta").first.inner_text()
            assert meta.endswith("CBD meetings")
            screenshot(page, "first-run-seed-cbd")
            page.goto(hub.url + "/admin")
            row = page.locator('#sources tbody tr[data-source="cbd-meetings"]')
            row.locator("td.status-succeeded").wait_for(timeout=15000)
            assert row.locator("td").nth(3).inner_text() == str(len(cbd_meeting_docs()))
            assert outside == []
