"""The portal as a visitor uses it (issue 18), in Chromium at 1280x900 and 390x844, in English, French and
Arabic: the search in the URL, facets, names instead of codes, CBD symbols, the language switch, the
filter drawer, empty states, completion, record pages, and no request leaving 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.hubs import HubProcess
from tests.web.browser import chromium, local_only, run_axe, screenshot
from tests.web.conftest import cbd_meeting_docs

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
STRINGS = {
    lang: {**widget, **json.loads((ROOT / "hub" / "web" / "page_strings.json").read_text("utf-8"))[lang]}
    for lang, widget in json.loads((ROOT / "hub" / "web" / "strings.json").read_text("utf-8")).items()
}  # the widget's strings and the pages' own
TYPES = json.loads((ROOT / "hub" / "web" / "type_labels.json").read_text("utf-8"))
COUNTRIES = {
    c["iso2"]: c["name"]
    for c in json.loads((ROOT / "normalizers" / "data" / "countries.json").read_text("utf-8"))["countries"]
}
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
STATUS = "gkss-search >> .status"
# ISO 639 names as the visitor's language writes them (not read from the hub's code)
ENGLISH = {"en": "English", "fr": "anglais", "ar": "الإنجليزية"}


def _status(lang: str, n: int) -> str:
    if n == 0:
        return str(STRINGS[lang]["none"])
    return str(STRINGS[lang]["result"] if n == 1 else STRINGS[lang]["results"]).replace("{n}", str(n))


def _api(hub: HubProcess, **params: Any) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(hub.url + "/api/search", params={"size": 100, **params}).json()
    return answer


def _ids(page: Any) -> list[str]:
    ids: list[str] = page.locator("gkss-search >> li.result").evaluate_all(
        "els => els.map(e => e.dataset.id)"
    )
    return ids


def _wait(page: Any, text: str) -> None:
    page.locator(STATUS).filter(has_text=text).wait_for(timeout=15000)


def _cop17(hub: HubProcess) -> dict[str, Any]:
    doc = next(d for d in cbd_meeting_docs() if d.get("symbol_s") == "COP-17")
    found = [r for r in _api(hub, source="cbd-meetings")["results"] if r["title"] == doc["title_EN_t"]]
    assert len(found) == 1
    return found[0]


def test_search_state_lives_in_the_url(cbd_hub: HubProcess) -> None:
    total = _api(cbd_hub)["total"]
    meetings = _api(cbd_hub, type="meeting")["total"]
    assert 10 < meetings < total
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)
        outside = local_only(context)
        page = context.new_page()
        page.goto(cbd_hub.url + "/")
        _wait(page, _status("en", total))
        page.locator('gkss-search >> button[data-facet="type"][data-value="meeting"]').click()
        _wait(page, _status("en", meetings))
        assert parse_qs(urlsplit(page.url).query) == {"type": ["meeting"]}
        first = _ids(page)
        page.locator("gkss-search >> button.next").click()
        page.wait_for_url("**page=2**")
        page.locator("gkss-search >> .where").filter(has_text="Page 2 of").wait_for(timeout=15000)
        assert parse_qs(urlsplit(page.url).query) == {"type": ["meeting"], "page": ["2"]}
        second = _ids(page)
        assert second and not set(first) & set(second)
        shared = page.url
        page.go_back()
        page.wait_for_url(lambda url: "page=2" not in url)
        page.locator("gkss-search >> .where").filter(has_text="Page 1 of").wait_for(timeout=15000)
        assert _ids(page) == first
        page.go_back()
        _wait(page, _status("en", total))
        assert urlsplit(page.url).query == ""
        page.go_forward()
        _wait(page, _status("en", meetings))
        other = context.new_page()  # a shared link reproduces the search
        other.goto(shared)
        other.locator("gkss-search >> .where").filter(has_text="Page 2 of").wait_for(timeout=15000)
        assert _ids(other) == second
        assert (
            other.locator('gkss-search >> button[data-value="meeting"]').get_attribute("aria-pressed")
            == "true"
        )
        other.goto(cbd_hub.url + "/?q=coral")
        assert other.locator("gkss-search >> input#q").input_value() == "coral"
        assert outside == []


@pytest.mark.parametrize("typed", ["COP-17", "cop17", "COP 17"])
def test_cbd_symbols_are_found_as_people_type_them(cbd_hub: HubProcess, typed: str) -> None:
    cop17 = _cop17(cbd_hub)
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(cbd_hub.url + "/?" + httpx.QueryParams({"q": typed}).__str__())
        assert page.locator("gkss-search >> input#q").input_value() == typed
        page.locator("gkss-search >> li.result").first.wait_for(timeout=15000)
        assert _ids(page)[0] == cop17["id"]


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_facets_by_count_years_newest_first_names_not_codes(cbd_hub: HubProcess, lang: str) -> None:
    everything = _api(cbd_hub)
    years = sorted({r["date"][:4] for r in everything["results"] if r["date"]}, reverse=True)
    assert len(years) > 8, "more years than the top values shown"
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(cbd_hub.url + f"/?lang={lang}")
        _wait(page, _status(lang, everything["total"]))
        shown = page.locator('gkss-search >> button[data-facet="year"]').evaluate_all(
            "els => els.map(e => e.dataset.value)"
        )
        assert shown == years[:8]
        more = page.locator('gkss-search >> [data-facet-group="year"] button.more')
        assert more.inner_text() == STRINGS[lang]["more"].replace("{n}", str(len(years)))
        more.click()
        page.locator('gkss-search >> button[data-facet="year"]').nth(len(years) - 1).wait_for(timeout=5000)
        shown = page.locator('gkss-search >> button[data-facet="year"]').evaluate_all(
            "els => els.map(e => e.dataset.value)"
        )
        assert shown == years
        for facet in ("type", "source", "language"):
            counts = page.locator(f'gkss-search >> button[data-facet="{facet}"] .count').all_inner_texts()
            assert [int(c) for c in counts] == sorted((int(c) for c in counts), reverse=True), facet
        names = dict(
            page.locator('gkss-search >> button[data-facet="type"]').evaluate_all(
                "els => els.map(e => [e.dataset.value, e.querySelector('.value').textContent])"
            )
        )
        assert names["meeting"] == TYPES["meeting"][lang]
        language = page.locator('gkss-search >> button[data-facet="language"][data-value="en"] .value')
        assert language.inner_text().casefold() == ENGLISH[lang].casefold()
        source = page.locator('gkss-search >> button[data-facet="source"][data-value="cbd-meetings"] .value')
        assert source.inner_text() == "CBD meetings"
        countries = dict(
            page.locator('gkss-search >> button[data-facet="country"]').evaluate_all(
                "els => els.map(e => [e.dataset.value, e.querySelector('.value').textContent])"
            )
        )
        assert countries and all(name == COUNTRIES[code][lang] for code, name in countries.items())
        metas = page.locator("gkss-search >> li.result .meta").all_inner_texts()
        codes = set(TYPES) - {c for c in TYPES if TYPES[c][lang] == c}
        assert metas and not [m for m in metas if m.split(" · ")[0] in codes], "types by name in results"
        screenshot(page, f"portal-facets-{lang}")


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_language_switch_is_whole_and_kept(cbd_hub: HubProcess, lang: str) -> None:
    cop17 = _cop17(cbd_hub)
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(cbd_hub.url + "/?q=COP-17")
        page.locator("gkss-search >> li.result").first.wait_for(timeout=15000)
        page.locator(f"nav.langs a[hreflang={lang}]").click()
        page.wait_for_url(f"**lang={lang}**")
        assert parse_qs(urlsplit(page.url).query)["q"] == ["COP-17"], "the search is kept"
        html = page.locator("html")
        assert html.get_attribute("lang") == lang
        assert html.get_attribute("dir") == ("rtl" if lang == "ar" else "ltr")
        assert page.locator("h2#reuse-title").inner_text() == STRINGS[lang]["for_aggregators"]
        assert page.locator("gkss-search >> label[for=q]").inner_text() == STRINGS[lang]["label"]
        record = page.locator(f'gkss-search >> li.result[data-id="{cop17["id"]}"] a.record')
        assert parse_qs(urlsplit(record.get_attribute("href") or "").query)["lang"] == [lang]
        record.click()
        page.wait_for_url("**/resources/**")
        assert page.locator("html").get_attribute("lang") == lang
        terms = page.locator("dl.fields dt").all_inner_texts()
        assert STRINGS[lang]["type"] in terms and STRINGS[lang]["country"] in terms
        assert page.locator("table.provenance th").nth(1).inner_text() == STRINGS[lang]["protocol"]
        page.goto(cbd_hub.url + "/resources/" + cop17["id"])  # no ?lang: the choice is kept
        assert page.locator("html").get_attribute("lang") == lang
        page.goto(cbd_hub.url + "/")
        assert page.locator("html").get_attribute("lang") == lang


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_record_page_names_countries_regions_goals_and_targets(cbd_hub: HubProcess, lang: str) -> None:
    cop17 = _cop17(cbd_hub)
    resource = httpx.get(f"{cbd_hub.url}/api/resources/{cop17['id']}").json()
    assert resource["countries"] == ["AM"] and resource["symbols"] == ["COP-17"]
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        page.goto(f"{cbd_hub.url}/resources/{cop17['id']}?lang={lang}")
        fields = dict(
            page.locator("dl.fields dt").evaluate_all(
                "els => els.map(dt => [dt.textContent, dt.nextElementSibling.textContent])"
            )
        )
        assert fields[STRINGS[lang]["country"]] == COUNTRIES["AM"][lang]
        assert fields[STRINGS[lang]["type"]] == TYPES["meeting"][lang]
        assert STRINGS[lang]["region"] in fields and "142" not in fields[STRINGS[lang]["region"]]
        text = page.locator("main").inner_text()
        assert "GBF-TARGET-" not in text and "GBF-GOAL-" not in text
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "nothing runs off a phone's screen"
        assert run_axe(page) == []
        screenshot(page, f"record-page-{lang}")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_phone_shows_results_first_and_filters_in_a_drawer(cbd_hub: HubProcess, lang: str) -> None:
    total = _api(cbd_hub)["total"]
    meetings = _api(cbd_hub, type="meeting")["total"]
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, bypass_csp=True).new_page()
        page.goto(cbd_hub.url + f"/?lang={lang}")
        _wait(page, _status(lang, total))
        first = page.locator("gkss-search >> li.result").first.bounding_box()
        assert first is not None and first["y"] < PHONE["height"], "a result on the first screen"
        assert not page.locator("gkss-search >> .facets").is_visible()
        opener = page.locator("gkss-search >> button.drawer-button")
        assert opener.inner_text() == STRINGS[lang]["show_filters"]
        opener.click()
        assert page.locator("gkss-search >> .facets").is_visible()
        assert run_axe(page) == []
        screenshot(page, f"portal-phone-drawer-{lang}")
        page.locator('gkss-search >> button[data-facet="type"][data-value="meeting"]').click()
        _wait(page, _status(lang, meetings))
        page.locator("gkss-search >> button.drawer-close").click()
        assert not page.locator("gkss-search >> .facets").is_visible()
        assert opener.inner_text() == f"{STRINGS[lang]['show_filters']} (1)"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        screenshot(page, f"portal-phone-{lang}")


def test_no_result_offers_to_clear_filters_and_completion_comes_from_suggest(cbd_hub: HubProcess) -> None:
    cop17 = _cop17(cbd_hub)
    prefix = cop17["title"][:6]
    suggested = httpx.get(cbd_hub.url + "/api/suggest", params={"q": prefix, "size": 8}).json()["suggestions"]
    assert cop17["title"] in suggested
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(cbd_hub.url + "/?q=zzyzx-nothing&type=meeting")
        _wait(page, _status("en", 0))
        assert page.locator("gkss-search >> .empty").inner_text().startswith(STRINGS["en"]["no_match"])
        assert page.locator("gkss-search >> nav").is_hidden(), "no pager for nothing"
        page.locator("gkss-search >> .empty button.clear-all").click()
        page.wait_for_url(lambda url: "type=" not in url)
        assert parse_qs(urlsplit(page.url).query) == {"q": ["zzyzx-nothing"]}
        page.locator("gkss-search >> input#q").fill("")
        page.locator("gkss-search >> input#q").press_sequentially(prefix, delay=20)
        page.wait_for_function(
            "n => document.querySelector('gkss-search').shadowRoot"
            ".querySelectorAll('#suggestions option').length == n",
            arg=len(suggested),
            timeout=10000,
        )
        options = page.locator("gkss-search >> #suggestions option").evaluate_all(
            "os => os.map(o => o.value)"
        )
        assert options == suggested


def test_a_new_hub_says_how_to_add_a_source(tmp_path: Path) -> None:
    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><rect width="2" height="2"/></svg>'
    )
    settings = {
        "hub_name": "TSCC Africa knowledge hub",
        "operator_name": "Regional Technical and Scientific Cooperation Support Centre for Africa",
        "hub_description": "Biodiversity knowledge from African national clearing-houses.",
        "logo_file": str(logo),
    }
    with HubProcess(tmp_path / "hub", "new-hub", **settings) as hub:
        hub.serve()
        with chromium() as browser:
            page = browser.new_page(viewport=DESKTOP)
            page.goto(hub.url + "/?lang=fr")
            assert page.locator("h1").inner_text() == settings["hub_name"]
            assert page.locator(".lead").inner_text() == settings["hub_description"]
            run_by = STRINGS["fr"]["run_by"].replace("{name}", settings["operator_name"])
            assert page.locator(".operator").inner_text() == run_by
            assert page.locator("img.logo").evaluate("i => i.complete && i.naturalWidth > 0")
            assert page.locator("p.held").inner_text() == STRINGS["fr"]["holds"].replace(
                "{records}", "0"
            ).replace("{sources}", "0")
            assert page.locator("link[rel=icon]").get_attribute("href") == "/favicon.svg"
            page.locator("gkss-search >> .empty-hub").wait_for(timeout=15000)
            assert page.locator("gkss-search >> .empty-hub").inner_text() == STRINGS["fr"]["empty_hub"]
            link = page.locator("gkss-search >> .empty a")
            assert link.inner_text() == STRINGS["fr"]["add_source"]
            assert urlsplit(link.get_attribute("href") or "").path == "/admin"
            assert STRINGS["fr"]["start_cbd"] in page.locator("gkss-search >> .empty").inner_text()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE])
def test_no_page_asks_anything_of_another_host(cbd_hub: HubProcess, viewport: dict[str, int]) -> None:
    cop17 = _cop17(cbd_hub)
    with chromium() as browser:
        context = browser.new_context(viewport=viewport)
        outside = local_only(context)
        page = context.new_page()
        for path in (
            "/",
            "/?lang=ar&q=COP-17",
            f"/resources/{cop17['id']}",
            "/embed/frame?lang=fr",
            "/embed/snippet",
            "/admin",
        ):
            page.goto(cbd_hub.url + path)
            page.wait_for_load_state("networkidle")
        page.goto(cbd_hub.url + "/docs")
        page.locator(".swagger-ui .info .title").wait_for(timeout=20000)  # Swagger UI ran from local assets
        page.locator(".swagger-ui .opblock").first.wait_for(timeout=20000)
        favicon = httpx.get(cbd_hub.url + "/favicon.ico")
        assert favicon.status_code == 200 and favicon.headers["content-type"].startswith("image/svg+xml")
        assert outside == [], outside


def test_snippet_page_pickers_preview_and_copy(cbd_hub: HubProcess) -> None:
    in_armenia = _api(cbd_hub, country="AM")["total"]
    assert in_armenia >= 1
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(cbd_hub.url + "/embed/snippet?lang=fr")
        regions = page.locator("#filter-region option").all_inner_texts()[1:]
        assert len(regions) == len(set(regions)), "each region once, by its name"
        assert not [r for r in regions if r.strip().isdigit()], "no bare M49 code"
        countries = dict(
            page.locator("#filter-country option").evaluate_all("os => os.map(o => [o.value, o.textContent])")
        )
        assert countries["AM"] == COUNTRIES["AM"]["fr"]
        page.select_option("#filter-country", "AM")  # a change remakes the snippets and the preview
        page.wait_for_url("**filter-country=AM**")
        code = page.locator("#code-script").inner_text()
        assert 'filter-country="AM"' in code and 'lang="fr"' in code
        preview = page.frame_locator("#preview")
        preview.locator("p.status").filter(has_text=_status("fr", in_armenia)).wait_for(timeout=15000)
        page.locator('button.copy[data-copy="code-script"]').click()
        page.locator(".copied").first.filter(has_text=STRINGS["fr"]["copied"]).wait_for(timeout=5000)
        assert page.evaluate("navigator.clipboard.readText()") == code
