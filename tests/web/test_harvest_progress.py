"""Live harvest progress: a hub started with `gkss serve --seed cbd` shows, in the portal and on the admin
page, each source's run as it goes (records so far, running, failed, succeeded), updating without a
reload. The CBD index is replayed on 127.0.0.1 from the real meeting documents, five to a page, and the
test holds the second page until both pages have shown the run in progress."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from harvesters.cbd_index import PRESETS
from registry.seed import CBD_FEEDS
from tests.support.cbd_index_replay import replayed_cbd_index
from tests.support.hubs import HubProcess
from tests.web.browser import chromium, local_only, screenshot
from tests.web.conftest import cbd_meeting_docs

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
STRINGS = json.loads((ROOT / "hub" / "web" / "page_strings.json").read_text("utf-8"))
PAGE = 5  # meeting documents per answer of the replayed index (the hub asks for more; Solr may send fewer)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def _line(lang: str, status: str, n: int) -> str:
    return str(STRINGS[lang][f"progress_{status}"]).replace("{source}", "CBD meetings").replace("{n}", str(n))


def _meetings(page: Any) -> Any:
    return page.locator('#progress li[data-source="cbd-meetings"]')


def test_the_portal_and_the_admin_page_follow_a_seeded_harvest(tmp_path: Path) -> None:
    gate = threading.Event()
    total = len(cbd_meeting_docs())
    # Batches of PAGE records: the first page is stored (and counted) while the second is held.
    settings = {"batch_size": str(PAGE), "http_timeout": "120", "scheduler_tick_seconds": "1"}
    with (
        replayed_cbd_index(cbd_meeting_docs(), PAGE, gate) as (cbd, _),
        HubProcess(tmp_path / "hub", "progress", **settings) as hub,
    ):
        hub.serve("--seed", "cbd", "--seed-mirror", cbd)
        with chromium() as browser:
            pages = []
            for url, viewport, lang in (
                (hub.url + "/", DESKTOP, "en"),
                (hub.url + "/admin?lang=fr", PHONE, "fr"),
            ):
                context = browser.new_context(viewport=viewport)
                outside = local_only(context)
                page = context.new_page()
                page.goto(url)
                page.evaluate("window.loadedOnce = true")  # gone if the page reloads
                _meetings(page).filter(has_text=_line(lang, "running", PAGE)).wait_for(timeout=60000)
                assert _meetings(page).get_attribute("class") == "status-running"
                pages.append((page, lang, outside))
            answer = httpx.get(hub.url + "/api/harvest/progress").json()
            meetings = next(s for s in answer["sources"] if s["source"] == "cbd-meetings")
            assert meetings["status"] == "running" and meetings["run_records"] == PAGE
            assert answer["running"] == 1 and answer["sources"][0]["source"] == "cbd-meetings"
            screenshot(pages[0][0], "progress-portal-running")
            gate.set()
            ended = {"running": 0, "succeeded": len(PRESETS), "failed": len(CBD_FEEDS)}  # feeds: not replayed
            for page, lang, outside in pages:
                summary = str(STRINGS[lang]["progress_summary"])
                for name, count in ended.items():
                    summary = summary.replace("{" + name + "}", str(count))
                page.locator("#progress .progress-summary").filter(has_text=summary).wait_for(timeout=90000)
                _meetings(page).filter(has_text=_line(lang, "succeeded", total)).wait_for(timeout=5000)
                assert _meetings(page).get_attribute("class") == "status-succeeded"
                feed = page.locator(f'#progress li[data-source="cbd-rss-{next(iter(CBD_FEEDS))}"]')
                assert feed.get_attribute("class") == "status-failed"
                assert page.evaluate("window.loadedOnce") is True, "updated without a reload"
                assert outside == []
            screenshot(pages[1][0], "progress-admin-phone-done")
