"""The admin page in the six UN languages: every string it shows (template and scripts) has a translation
in each; in French and Arabic (right-to-left) at 1280x900 and 390x844 it speaks that language, shows times
in the reader's zone, and the choice is kept across the hub's pages."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.support.http_replay import ReplayServer
from tests.support.hubs import HubProcess
from tests.web.browser import axe_summary, chromium, local_only, run_axe, screenshot

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "hub" / "web"
SIX = ("en", "fr", "es", "ar", "ru", "zh")
TABLE = {
    lang: {**widget, **json.loads((WEB / "page_strings.json").read_text("utf-8"))[lang]}
    for lang, widget in json.loads((WEB / "strings.json").read_text("utf-8")).items()
}
TEMPLATES = ("admin.html", "progress.html", "header.html", "links.html")
SCRIPTS = ("admin.js", "progress.js")
RUN_STATES = ("running", "succeeded", "failed", "quarantined")  # a run's status (hub/store/runs.py)
SEVERITIES = ("error", "warning")  # a record error's severity (harvesters/records.py)
FEED = ROOT / "tests" / "fixtures" / "feeds" / "rss_1.0_spec_1.xml"
ZONE = "Asia/Kolkata"  # UTC+05:30: a local time cannot be mistaken for UTC
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def admin_keys() -> set[str]:
    """Every UI string the admin page can show: its templates' ``t.key`` and ``say("key")``, its scripts'
    ``tr("key")`` and the codes they put in words (run states, severities)."""
    keys: set[str] = set()
    for name in TEMPLATES:
        text = (WEB / "templates" / name).read_text("utf-8")
        keys |= set(re.findall(r"\bt\.(\w+)", text)) | set(re.findall(r'say\("(\w+)"', text))
    for name in SCRIPTS:
        keys |= set(re.findall(r'\btr\("(\w+)"\s*[,)]', (WEB / "static" / name).read_text("utf-8")))
    keys |= {f"state_{s}" for s in RUN_STATES} | {f"progress_{s}" for s in RUN_STATES if s != "running"}
    keys |= {"progress_running"} | {f"severity_{s}" for s in SEVERITIES}
    return keys


def test_every_string_of_the_admin_page_has_six_languages() -> None:
    keys = admin_keys()
    assert len(keys) > 60, "the admin page's strings were found"
    for key in sorted(keys):
        english = TABLE["en"].get(key)
        assert english, f"{key}: no English text"
        for lang in SIX:
            text = TABLE[lang].get(key)
            assert text, f"{key}: no {lang} translation"
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", english)), (key, lang)


def test_the_admin_template_writes_no_words_of_its_own() -> None:
    """Words in the page come from the string tables only (examples in placeholders excepted)."""
    for name in ("admin.html", "progress.html"):
        text = (WEB / "templates" / name).read_text("utf-8")
        text = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]*>", " ", text, flags=re.S)
        assert re.findall(r"[A-Za-z]{2,}", text) == [], name
        for attr in re.findall(
            r'\b(?:aria-label|title|alt)="([^"]*)"', (WEB / "templates" / name).read_text()
        ):
            assert attr.startswith("{{"), (name, attr)
    for name in SCRIPTS:
        code = (WEB / "static" / name).read_text("utf-8")
        code = re.sub(r"^\s*//.*$|/\*.*?\*/", "", code, flags=re.M | re.S)
        literals = re.findall(r'"([^"\\]*(?:\\.[^"\\]*)*)"', code)
        words = [s for s in literals if re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", s)]
        assert words == [], (name, words)


def _digits(text: str) -> str:
    return text.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))


@pytest.mark.browser
@pytest.mark.parametrize(
    ("lang", "viewport"), [("fr", DESKTOP), ("ar", PHONE), ("ar", DESKTOP), ("fr", PHONE)]
)
def test_the_admin_page_speaks_the_chosen_language(
    tmp_path: Path, lang: str, viewport: dict[str, int]
) -> None:
    t = TABLE[lang]
    listed = t["admin_n_sources"].replace("{n}", "1")
    with ReplayServer() as site, HubProcess(tmp_path / "hub", "admin-lang") as hub:
        site.route("/news.rss", FEED.read_bytes(), headers={"Content-Type": "application/rss+xml"})
        hub.cli("sources", "add", "news", "--protocol", "feed", "--url", site.url + "/news.rss")
        hub.cli("harvest", "news")
        hub.serve()
        last = httpx.get(hub.url + "/api/admin/sources/news").json()["last_run"]  # loopback: no key yet
        finished = datetime.fromisoformat(last["finished"].replace("Z", "+00:00"))
        if finished.tzinfo is None:
            finished = finished.replace(tzinfo=ZoneInfo("UTC"))  # the hub's times are UTC
        local = finished.astimezone(ZoneInfo(ZONE)).strftime("%H:%M:%S")
        with chromium() as browser:
            # axe is injected as an inline script
            context = browser.new_context(viewport=viewport, timezone_id=ZONE, bypass_csp=True)
            outside = local_only(context)
            page = context.new_page()
            page.goto(f"{hub.url}/admin?lang={lang}")
            page.locator("#status").filter(has_text=listed).wait_for(timeout=15000)
            assert page.get_attribute("html", "lang") == lang
            assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
            assert page.locator("h1").inner_text() == t["admin_title"]
            row = page.locator('#sources tbody tr[data-source="news"]')
            assert row.locator("td").nth(4).inner_text() == t["state_succeeded"]
            assert local in _digits(row.locator("td").nth(5).inner_text()), "the reader's zone"
            assert row.locator("button.harvest").inner_text() == t["admin_harvest_now"]
            row.locator("td").first.locator("button").click()
            title = t["admin_source_title"].replace("{id}", "news")
            page.locator("#detail-title").filter(has_text=title).wait_for(timeout=15000)
            assert page.locator("#runs tbody tr td").nth(1).inner_text() == t["state_succeeded"]
            shown = page.locator("body").inner_text()
            for key in admin_keys():
                english = TABLE["en"][key]
                if "{" not in english and english != t[key] and len(english) > 3:
                    assert not re.search(rf"\b{re.escape(english)}\b", shown), (key, english)
            assert axe_summary(run_axe(page)) == []
            screenshot(page, f"admin-{lang}-{viewport['width']}")
            for path in ("/", "/admin", "/resources/none"):  # no ?lang: the choice is kept
                page.goto(hub.url + path)
                assert page.get_attribute("html", "lang") == lang, path
            page.goto(hub.url + "/admin")
            page.locator("#status").filter(has_text=listed).wait_for(timeout=15000)
            assert outside == []
