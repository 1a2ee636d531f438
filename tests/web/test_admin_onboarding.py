"""A node admin onboards a source in the browser: probe, preview, add, harvest, find it in the portal."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import lxml.etree
import pytest

from tests.support.http_replay import ReplayServer
from tests.support.hubs import HubProcess
from tests.web.browser import chromium, local_only, run_axe, screenshot

FEED = Path(__file__).parents[1] / "fixtures" / "feeds" / "atom_example_2.xml"  # real feed, type="html"
ATOM = "{http://www.w3.org/2005/Atom}"
pytestmark = pytest.mark.browser


def _entries() -> list[tuple[str, str]]:
    """Each entry's title and its summary's text (the summary is escaped HTML: parsed, then its text)."""
    root = lxml.etree.parse(str(FEED)).getroot()
    out = []
    for entry in root.iter(f"{ATOM}entry"):
        title = entry.findtext(f"{ATOM}title") or ""
        summary = lxml.etree.fromstring(f"<x>{entry.findtext(f'{ATOM}summary')}</x>", lxml.etree.HTMLParser())
        out.append((title, " ".join("".join(summary.itertext()).split())))
    return out


def _hub_with_one_node_admin_key(home: Path) -> tuple[HubProcess, str]:
    hub = HubProcess(home, "onboarding")
    hub.cli("nodes", "add", "gkssb", "--name", "GKSSB", "--kind", "service")
    hub.cli("nodes", "add", "africa", "--name", "Africa", "--kind", "regional", "--parent", "gkssb")
    key = hub.cli("keys", "create", "--node", "africa", "--role", "node-admin").stdout.strip()
    return hub, key


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
def test_a_node_admin_adds_previews_harvests_and_finds_a_feed(
    tmp_path: Path, viewport: dict[str, int]
) -> None:
    entries = _entries()
    assert len(entries) >= 2 and all("<" in e[1] or e[1] for e in entries)
    zone = "Africa/Nairobi"
    with ReplayServer() as site:
        site.route("/science.atom", FEED.read_bytes(), headers={"Content-Type": "application/atom+xml"})
        hub, key = _hub_with_one_node_admin_key(tmp_path / "hub")
        with hub:
            hub.serve()
            assert httpx.get(hub.url + "/api/search").json()["total"] == 0, "an empty hub"
            with chromium() as browser:
                context = browser.new_context(viewport=viewport, timezone_id=zone)
                outside = local_only(context)
                page = context.new_page()
                page.goto(hub.url + "/admin")
                page.locator("#status").filter(has_text="needs an API key").wait_for(timeout=15000)
                page.fill("#key", "gkss_not-a-key")
                page.click("#key-form button[type=submit]")
                page.locator("#status").filter(has_text="refused this key").wait_for(timeout=15000)
                page.fill("#key", key)
                page.click("#key-form button[type=submit]")
                page.locator("#status").filter(has_text="0 source(s)").wait_for(timeout=15000)

                page.fill("#add-url", site.url + "/science.atom")
                page.select_option("#add-protocol", "oai-pmh")  # the probe corrects it
                page.click("#probe")
                page.locator("#status").filter(has_text="Found feed").wait_for(timeout=30000)
                assert page.locator("#add-protocol").input_value() == "feed"
                page.fill("#add-id", "register-science")
                page.click("#preview")
                page.locator("#status").filter(has_text="Preview ready").wait_for(timeout=30000)
                previewed = page.locator("#preview-records li").all_inner_texts()
                assert previewed == [title for title, _ in entries]
                assert httpx.get(hub.url + "/api/search").json()["total"] == 0, "a preview saves nothing"

                page.click("#add-form button[type=submit]")
                row = page.locator('#sources tbody tr[data-source="register-science"]')
                row.wait_for(timeout=15000)
                assert row.locator("td").nth(1).inner_text() == "africa", "the key's node owns it"
                row.locator("button.harvest").click()
                row.locator("td.status-succeeded").wait_for(timeout=60000)
                assert row.locator("td").nth(3).inner_text() == str(len(entries))
                finished = row.locator("td").nth(5).inner_text()
                runs = httpx.get(
                    hub.url + "/api/admin/sources/register-science/runs",
                    headers={"Authorization": f"Bearer {key}"},
                ).json()
                moment = datetime.fromisoformat(runs[0]["finished"]).replace(tzinfo=UTC)
                there = moment.astimezone(ZoneInfo(zone))
                assert there.strftime("%H:%M:%S") in finished and "GMT+3" in finished, finished
                progress = page.locator('#progress li[data-source="register-science"]')
                ended = f"Register science: succeeded, {len(entries)} records"
                progress.filter(has_text=ended).wait_for(timeout=15000)
                assert progress.get_attribute("class") == "status-succeeded", "the panel followed Harvest now"
                screenshot(page, f"admin-onboarding-{viewport['width']}")

                page.goto(hub.url + "/?source=register-science")
                status = page.locator("gkss-search >> .status")
                status.filter(has_text=f"{len(entries)} results").wait_for(timeout=15000)
                titles = page.locator("gkss-search >> li.result h3").all_inner_texts()
                assert sorted(titles) == sorted(title for title, _ in entries)
                descriptions = page.locator("gkss-search >> li.result .desc").all_inner_texts()
                assert descriptions and not [d for d in descriptions if "<" in d or "&lt;" in d]
                for _, text in entries:
                    assert any(d.rstrip("…") and text.startswith(d.rstrip("…")[:60]) for d in descriptions)
                page.locator("gkss-search >> li.result a.record").first.click()
                page.wait_for_url("**/resources/**")
                shown = " ".join(page.locator("div.description").inner_text().split())
                assert "<" not in shown and any(shown == text for _, text in entries), shown
                assert outside == [], outside


def test_harvest_and_schedule_endpoints_keep_node_rights(tmp_path: Path) -> None:
    with ReplayServer() as site:
        site.route("/science.atom", FEED.read_bytes(), headers={"Content-Type": "application/atom+xml"})
        hub, key = _hub_with_one_node_admin_key(tmp_path / "hub")
        hub.cli("nodes", "add", "asia", "--name", "Asia", "--kind", "regional", "--parent", "gkssb")
        feed = site.url + "/science.atom"
        hub.cli("sources", "add", "theirs", "--protocol", "feed", "--url", feed, "--node", "asia")
        other = hub.cli("keys", "create", "--node", "asia", "--role", "node-admin").stdout.strip()
        with hub:
            hub.serve()
            mine = {"Authorization": f"Bearer {key}"}
            theirs = {"Authorization": f"Bearer {other}"}
            base = hub.url + "/api/admin/sources/theirs"
            assert httpx.post(base + "/harvest", headers=mine).status_code == 403
            hourly = {"every_seconds": 3600}
            assert httpx.put(base + "/schedule", headers=mine, json=hourly).status_code == 403
            assert httpx.post(base + "/harvest").status_code == 401
            too_often = {"every_seconds": 60}
            assert httpx.put(base + "/schedule", headers=theirs, json=too_often).status_code == 422
            answer = httpx.put(base + "/schedule", headers=theirs, json=hourly).json()
            assert answer["every_seconds"] == 3600 and answer["enabled"] is True
            assert httpx.post(base + "/harvest", headers=theirs).status_code == 202
            for _ in range(300):
                runs = httpx.get(base + "/runs", headers=theirs).json()
                if runs and runs[0]["finished"]:
                    break
                time.sleep(0.1)
            assert runs[0]["status"] == "succeeded" and runs[0]["added"] == len(_entries())
            off = httpx.put(base + "/schedule", headers=theirs, json={"every_seconds": None}).json()
            assert off["enabled"] is False


def test_admin_page_has_no_accessibility_violation(tmp_path: Path) -> None:
    hub, key = _hub_with_one_node_admin_key(tmp_path / "hub")
    with hub:
        hub.serve()
        with chromium() as browser:
            page = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844}).new_page()
            page.goto(hub.url + "/admin")
            page.fill("#key", key)
            page.click("#key-form button[type=submit]")
            page.locator("#status").filter(has_text="source(s)").wait_for(timeout=15000)
            assert run_axe(page) == []
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, "the page itself does not run off a phone's screen (tables scroll inside)"


def test_sources_without_a_node_are_the_services_and_node_moves_them(tmp_path: Path) -> None:
    hub, africa = _hub_with_one_node_admin_key(tmp_path / "hub")
    hub.cli("sources", "add", "orphan", "--protocol", "feed", "--url", "http://127.0.0.1:9/feed.xml")
    service = hub.cli("keys", "create", "--node", "gkssb", "--role", "node-admin").stdout.strip()
    with hub:
        hub.serve()

        def listed(key: str) -> set[str]:
            answer = httpx.get(hub.url + "/api/admin/sources", headers={"Authorization": f"Bearer {key}"})
            return {s["id"] for s in answer.json()}

        hourly = {"every_seconds": 3600}
        schedule = hub.url + "/api/admin/sources/orphan/schedule"
        assert listed(service) == {"orphan"}, "the service node's admin sees the sources of no node"
        assert listed(africa) == set()
        assert (
            httpx.put(schedule, json=hourly, headers={"Authorization": f"Bearer {service}"}).status_code
            == 200
        )
        assert (
            httpx.put(schedule, json=hourly, headers={"Authorization": f"Bearer {africa}"}).status_code == 403
        )
        hub.cli("sources", "update", "orphan", "--node", "africa")
        assert listed(africa) == {"orphan"}
        assert (
            httpx.put(schedule, json=hourly, headers={"Authorization": f"Bearer {africa}"}).status_code == 200
        )
        assert hub.cli("sources", "update", "orphan", "--node", "atlantis", check=False).returncode == 2
