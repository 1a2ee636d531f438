"""The admin page in Debian's Chromium: a node admin's key shows its own sources, their runs and quality."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.http_replay import ReplayServer
from tests.support.hubs import HubProcess
from tests.web.browser import chromium, run_axe, screenshot

FEED = Path(__file__).parents[1] / "fixtures" / "feeds" / "rss_1.0_spec_1.xml"

pytestmark = pytest.mark.browser


def test_a_node_admin_reads_its_sources_runs_and_quality(tmp_path: Path) -> None:
    with ReplayServer() as site, HubProcess(tmp_path / "hub", "admin-page") as hub:
        site.route("/news.rss", FEED.read_bytes(), headers={"Content-Type": "application/rss+xml"})
        site.route("/gone.rss", b"gone", status=404)
        for node, kind, parent in (
            ("gkssb", "service", None),
            ("africa", "regional", "gkssb"),
            ("asia", "regional", "gkssb"),
        ):
            hub.cli(
                "nodes",
                "add",
                node,
                "--name",
                node.title(),
                "--kind",
                kind,
                *(["--parent", parent] if parent else []),
            )
        for source, node, path in (
            ("af-news", "africa", "/news.rss"),
            ("af-gone", "africa", "/gone.rss"),
            ("as-news", "asia", "/news.rss"),
        ):
            hub.cli("sources", "add", source, "--protocol", "feed", "--url", site.url + path, "--node", node)
        hub.cli("harvest", "--all", check=False)
        token = hub.cli("keys", "create", "--node", "africa", "--role", "node-admin").stdout.strip()
        hub.serve()
        items = FEED.read_text().count("<item ")
        with chromium() as browser:
            page = browser.new_page()
            page.goto(hub.url + "/admin")
            # Keys exist, so the loopback bootstrap is over: the page asks for one.
            page.locator("#status").filter(has_text="needs an API key").wait_for(timeout=15000)
            page.fill("#key", token)
            page.click("#key-form button[type=submit]")
            page.wait_for_selector("#sources tbody tr")
            rows = page.eval_on_selector_all(
                "#sources tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
            )
            by_id = {row[0]: row for row in rows}
            assert set(by_id) == {"af-news", "af-gone"}, "only the key's node's sources"
            assert by_id["af-news"][3] == str(items) and by_id["af-news"][4] == "succeeded"
            assert by_id["af-gone"][4] == "failed" and "HTTP 404" in by_id["af-gone"][7]
            page.click("#sources button:text-is('af-gone')")
            page.wait_for_selector("#runs tbody tr")
            run = page.eval_on_selector("#runs tbody tr", "r => [...r.cells].map(c => c.textContent)")
            assert run[1] == "failed" and "HTTP 404" in run[11] and "404×1" in run[10]
            page.click("#sources button:text-is('af-news')")
            page.locator("#detail-title").filter(has_text="Source af-news").wait_for(timeout=15000)
            page.locator("#runs tbody tr td:nth-child(5)").filter(has_text=str(items)).wait_for(timeout=15000)
            quality = page.eval_on_selector_all("#quality dd", "d => d.map(x => x.textContent)")
            assert quality[0] == str(items) and 0 < float(quality[1]) <= 100
            screenshot(page, "admin-page")
            page.click("#forget")
            page.locator("#status").filter(has_text="needs an API key").wait_for(timeout=15000)
            checked = browser.new_context(bypass_csp=True).new_page()  # axe is injected as an inline script
            checked.goto(hub.url + "/admin")
            checked.locator("#status").filter(has_text="needs an API key").wait_for(timeout=15000)
            assert run_axe(checked) == []
        runs = json.loads(hub.cli("runs", "af-gone", "--json").stdout)
        assert runs[0]["status"] == "failed"
