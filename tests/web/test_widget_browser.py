"""The portal and <gkss-search> in Chromium against a real hub: search, facets, Arabic, paging, axe."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.hubs import HubProcess
from tests.support.oai_replay import load_real_records
from tests.web.browser import chromium, host_site, run_axe, screenshot
from tests.web.conftest import REGIONAL_SOURCE, REGIONAL_SOURCE_REGION, in_fixed_region

pytestmark = pytest.mark.browser
STRINGS = json.loads(
    (Path(__file__).resolve().parents[2] / "hub" / "web" / "strings.json").read_text("utf-8")
)
STATUS = "gkss-search >> .status"
WEB = Path(__file__).resolve().parents[2] / "hub" / "web"
TYPES = json.loads((WEB / "type_labels.json").read_text("utf-8"))


def _all_results(hub: HubProcess) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        answer = httpx.get(hub.url + "/api/search", params={"size": 100, "page": page}, timeout=30).json()
        out += answer["results"]
        if len(out) >= answer["total"] or not answer["results"]:
            return out
        page += 1


def _words(text: str) -> list[str]:
    return [w.strip(".,:;()[]?!\"'") for w in text.split()]


def _wait_status(page: Any, text: str) -> None:
    page.locator(STATUS).filter(has_text=text).wait_for(timeout=15000)


def test_portal_search_facet_arabic_and_paging(real_hub: HubProcess) -> None:
    live = [r for r in load_real_records() if r.identifier and not r.deleted and r.metadata]
    everything = _all_results(real_hub)
    assert len(everything) == len(live), "every live record of the replayed repository is searchable"
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(real_hub.url + "/")
        _wait_status(page, STRINGS["en"]["results"].replace("{n}", str(len(live))))
        screenshot(page, "portal-start")

        # type a query: a word of one record's title
        title = next(r["title"] for r in everything if len(r["title"].split()) > 3)
        word = max(_words(title), key=len)
        holders = [r for r in everything if word.casefold() in _words(r["title"].casefold())]
        answer = httpx.get(real_hub.url + "/api/search", params={"q": word, "size": 100}).json()
        page.locator("gkss-search >> input#q").fill(word)
        page.locator("gkss-search >> input#q").press("Enter")
        expected = STRINGS["en"]["result"] if answer["total"] == 1 else STRINGS["en"]["results"]
        _wait_status(page, expected.replace("{n}", str(answer["total"])))
        assert answer["total"] >= len(holders) >= 1
        shown = page.locator("gkss-search >> li.result").evaluate_all("els => els.map(e => e.dataset.id)")
        assert {r["id"] for r in holders} & set(shown), "a record whose title holds the word is shown"
        assert page.locator("gkss-search >> li.result mark").count() >= 1, "the matched word is marked"
        screenshot(page, "portal-query")

        # click a facet: the commonest type, counted from the records themselves
        page.locator("gkss-search >> input#q").fill("")
        page.locator("gkss-search >> input#q").press("Enter")
        _wait_status(page, STRINGS["en"]["results"].replace("{n}", str(len(live))))
        kind, count = Counter(r["type"] for r in everything).most_common(1)[0]
        button = page.locator(f'gkss-search >> button[data-facet="type"][data-value="{kind}"]')
        assert button.get_attribute("aria-pressed") == "false"
        button.focus()
        page.keyboard.press("Enter")  # keyboard operable
        expected = STRINGS["en"]["result"] if count == 1 else STRINGS["en"]["results"]
        _wait_status(page, expected.replace("{n}", str(count)))
        pressed = page.locator(f'gkss-search >> button[data-facet="type"][data-value="{kind}"]')
        assert pressed.get_attribute("aria-pressed") == "true"
        metas = page.locator("gkss-search >> li.result .meta").all_inner_texts()
        assert metas and all(m.startswith(TYPES[kind]["en"]) for m in metas), "the type by its name"
        screenshot(page, "portal-facet")
        pressed.click()  # off again
        _wait_status(page, STRINGS["en"]["results"].replace("{n}", str(len(live))))

        # page to the next page: the ids the API gives for page 2, none of page 1
        first = page.locator("gkss-search >> li.result").evaluate_all("els => els.map(e => e.dataset.id)")
        page.locator("gkss-search >> button.next").click()
        pages = -(-len(live) // 10)
        page.locator("gkss-search >> .where").filter(has_text=f"Page 2 of {pages}").wait_for(timeout=15000)
        second = page.locator("gkss-search >> li.result").evaluate_all("els => els.map(e => e.dataset.id)")
        api_second = httpx.get(real_hub.url + "/api/search", params={"page": 2, "size": 10}).json()["results"]
        assert second == [r["id"] for r in api_second]
        assert not set(first) & set(second)
        screenshot(page, "portal-page-2")

        # switch to Arabic with the page's language links: the whole page, the search kept (page 2)
        page.locator("nav.langs a[hreflang=ar]").click()
        page.wait_for_url("**lang=ar**")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("html").get_attribute("lang") == "ar"
        page.locator("gkss-search >> .where").filter(has_text="2").wait_for(timeout=15000)
        root = page.locator("gkss-search >> .root")
        assert root.get_attribute("dir") == "rtl" and root.get_attribute("lang") == "ar"
        assert page.locator("gkss-search >> label[for=q]").inner_text() == STRINGS["ar"]["label"]
        assert page.locator("gkss-search >> button.next").inner_text() == STRINGS["ar"]["next"]
        _wait_status(page, STRINGS["ar"]["results"].replace("{n}", str(len(live))))
        screenshot(page, "portal-arabic")
        assert not errors, errors


def test_language_facet_names_languages_in_the_interface_language(real_hub: HubProcess) -> None:
    """The widget names a language facet value in its UI language (CLDR: English is "anglais" in
    French, "inglés" in Spanish, capitalised as a label starts); the button keeps the code as its value."""
    everything = _all_results(real_hub)
    assert any("en" in r["languages"] for r in everything)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        for lang, english in (("fr", "anglais"), ("es", "inglés"), ("en", "English")):
            page.goto(real_hub.url + f"/?lang={lang}")
            button = page.locator('gkss-search >> button[data-facet="language"][data-value="en"]')
            button.wait_for(timeout=15000)
            assert button.locator(".value").inner_text().casefold() == english.casefold()


def test_resource_page_shows_provenance(real_hub: HubProcess) -> None:
    record = _all_results(real_hub)[0]
    with chromium() as browser:
        page = browser.new_page()
        page.goto(real_hub.url + "/resources/" + record["id"])
        assert page.locator("h1").inner_text() == record["title"]
        cells = page.locator("table.provenance tbody tr").first.locator("td").all_inner_texts()
        provenance = record["provenance"]
        assert cells[:3] == [provenance["source"], provenance["protocol"], provenance["native_id"]]
        assert cells[4] == provenance["payload_hash"]
        assert cells[3].startswith(provenance["harvested"][:10])
        screenshot(page, "resource-page")


def test_no_serious_accessibility_violations(real_hub: HubProcess) -> None:
    host = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A centre</title>'
        f'<script src="{real_hub.url}/embed/gkss-search.js" defer></script></head>'
        f'<body><main><h1>A regional centre</h1><gkss-search hub="{real_hub.url}" page-size="5">'
        "</gkss-search></main></body></html>"
    )
    with chromium() as browser, host_site(host) as site:
        context = browser.new_context(bypass_csp=True)  # axe is injected as an inline script
        page = context.new_page()
        found: dict[str, list[dict[str, Any]]] = {}
        for name, url in (
            ("portal", real_hub.url + "/"),
            ("portal-ar", real_hub.url + "/?lang=ar"),
            ("widget-in-host-page", site),
            ("iframe-page", real_hub.url + "/embed/frame?lang=fr&page-size=5"),
            ("snippet-page", real_hub.url + "/embed/snippet"),
            ("resource-page", real_hub.url + "/resources/" + _all_results(real_hub)[0]["id"]),
        ):
            page.goto(url)
            if name in ("portal", "portal-ar", "widget-in-host-page"):
                page.locator("gkss-search >> li.result").first.wait_for(timeout=15000)
            found[name] = [{"id": v["id"], "nodes": len(v["nodes"])} for v in run_axe(page)]
            screenshot(page, f"axe-{name}")
        assert found == {name: [] for name in found}


def test_widget_in_a_host_page_keeps_its_fixed_filter_and_theme(real_hub: HubProcess) -> None:
    everything = _all_results(real_hub)
    documents = [r for r in everything if r["type"] == "document"]
    assert 0 < len(documents) < len(everything)
    host = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Centre</title>'
        "<style>gkss-search{--gkss-accent:rgb(128, 0, 0)}</style>"
        f'<script src="{real_hub.url}/embed/gkss-search.js" defer></script></head><body><main>'
        f'<gkss-search hub="{real_hub.url}" filter-type="document" page-size="100"></gkss-search>'
        "</main></body></html>"
    )
    with chromium() as browser, host_site(host) as site:
        page = browser.new_page()
        page.goto(site)
        _wait_status(page, STRINGS["fr"]["results"].replace("{n}", str(len(documents))))  # lang from <html>
        shown = page.locator("gkss-search >> li.result").evaluate_all("els => els.map(e => e.dataset.id)")
        assert sorted(shown) == sorted(r["id"] for r in documents)
        other = next(r["type"] for r in everything if r["type"] != "document")
        assert page.locator(f'gkss-search >> button[data-facet="type"][data-value="{other}"]').count() == 0
        colour = page.locator("gkss-search >> button.primary").evaluate(
            "b => getComputedStyle(b).backgroundColor"
        )
        assert colour == "rgb(128, 0, 0)"
        screenshot(page, "widget-host-fixed-filter")


def test_widget_with_a_fixed_region_finds_its_countries_and_regional_records(
    real_hub: HubProcess,
) -> None:
    region = REGIONAL_SOURCE_REGION
    expected = in_fixed_region(_all_results(real_hub), region)
    assert any(r["source"] == REGIONAL_SOURCE and not r["countries"] for r in expected), (
        "no country, the region"
    )
    host = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Centre</title>'
        f'<script src="{real_hub.url}/embed/gkss-search.js" defer></script></head><body><main>'
        f'<gkss-search hub="{real_hub.url}" filter-region="{region}"></gkss-search></main></body></html>'
    )
    with chromium() as browser, host_site(host) as site:
        page = browser.new_page()
        asked: list[str] = []
        page.on("request", lambda request: asked.append(request.url))
        page.goto(site)
        text = {0: STRINGS["en"]["none"], 1: STRINGS["en"]["result"]}.get(
            len(expected), STRINGS["en"]["results"]
        )
        _wait_status(page, text.replace("{n}", str(len(expected))))
        searches = [parse_qs(urlsplit(url).query) for url in asked if "/api/search" in url]
        assert searches and searches[-1]["region"] == [region] and "country" not in searches[-1]
        assert searches[-1]["counts"] == ["estimate"]  # the widget lets the hub estimate (it says so)
