"""`gkss serve --seed cbd`: a new hub enables the CBD's own sources and harvests them by itself; the
portal shows CBD records with no other command (the CBD index replayed on 127.0.0.1 from real payloads)."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from harvesters.cbd_index import PRESETS
from registry.seed import CBD_FEEDS
from tests.support.cbd_index_replay import replayed_cbd_index
from tests.support.hubs import HubProcess
from tests.web.browser import chromium, local_only, screenshot
from tests.web.conftest import cbd_meeting_docs

pytestmark = pytest.mark.browser


def test_a_hub_started_with_seed_cbd_shows_cbd_records_by_itself(tmp_path: Path) -> None:
    cop17 = next(d for d in cbd_meeting_docs() if d.get("symbol_s") == "COP-17")
    with (
        replayed_cbd_index(cbd_meeting_docs()) as (cbd, asked),
        HubProcess(tmp_path / "hub", "first-run") as hub,
    ):
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
