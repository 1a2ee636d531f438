"""GBF goals' and targets' short titles exist in English only (normalizers/data's thesaurus): in a page of
another language they are marked ``lang="en"`` (record page, iframe, widget), never translated here."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import lxml.html
import pytest

from tests.support.hubs import HubProcess
from tests.web.browser import chromium
from tests.web.conftest import cbd_meeting_docs

DATA = Path(__file__).resolve().parents[2] / "normalizers" / "data"


def thesaurus_titles() -> dict[str, dict[str, str]]:
    """The short titles of the GBF goals and targets by language, as the thesaurus files hold them."""
    out: dict[str, dict[str, str]] = {}
    for name in ("thesaurus_GBF-GOALS_terms.json", "thesaurus_GBF-TARGETS_terms.json"):
        for term in json.loads((DATA / name).read_text("utf-8")):
            out[term["identifier"]] = {
                lang: re.sub(r"^GBF-(?:T\d+|G-[A-D])\.\s*", "", text).strip()
                for lang, text in (term.get("shortTitle") or {}).items()
            }
    return out


def test_the_thesaurus_has_english_short_titles_only() -> None:
    titles = thesaurus_titles()
    assert len(titles) == 27 and all(set(by_lang) == {"en"} for by_lang in titles.values())


def _cop17(hub: HubProcess) -> str:
    cop17 = next(d for d in cbd_meeting_docs() if d.get("symbol_s") == "COP-17")
    found = httpx.get(hub.url + "/api/search", params={"q": cop17["title_EN_t"]}).json()["results"]
    ids: list[str] = [r["id"] for r in found if r["source"] == "cbd-meetings"]
    return ids[0]


@pytest.mark.parametrize("lang", ["fr", "ar", "en"])
def test_record_page_and_iframe_mark_english_titles(cbd_hub: HubProcess, lang: str) -> None:
    english = {by_lang["en"] for by_lang in thesaurus_titles().values()}
    resource = httpx.get(f"{cbd_hub.url}/api/resources/{_cop17(cbd_hub)}").json()
    assert resource["gbf_targets"], "COP-17 names GBF targets"
    page = lxml.html.document_fromstring(
        httpx.get(f"{cbd_hub.url}/resources/{resource['id']}?lang={lang}").text
    )
    marked = [str(s.text_content()) for s in page.xpath("//ul[contains(@class,'targets')]//span[@lang='en']")]
    frame = lxml.html.document_fromstring(httpx.get(f"{cbd_hub.url}/embed/frame?lang={lang}").text)
    in_frame = [str(s.text_content()) for s in frame.xpath("//a[contains(@class,'facet')]//span[@lang='en']")]
    labels = httpx.get(f"{cbd_hub.url}/embed/labels", params={"lang": lang}).json()
    if lang == "en":
        assert marked == [] and in_frame == [] and "en_title" not in labels
        return
    expected = [thesaurus_titles()[code]["en"] for code in resource["gbf_targets"]]
    assert marked == expected
    assert in_frame and set(in_frame) <= english
    assert labels["en_title"] == {code: t["en"] for code, t in thesaurus_titles().items()}


@pytest.mark.browser
def test_the_widget_marks_english_titles_in_french(cbd_hub: HubProcess) -> None:
    english = {by_lang["en"] for by_lang in thesaurus_titles().values()}
    with chromium() as browser:
        page = browser.new_page()
        page.goto(cbd_hub.url + "/?lang=fr")
        spans = page.locator('gkss-search >> button[data-facet="target"] span[lang="en"]')
        spans.first.wait_for(timeout=15000)
        shown = set(spans.all_inner_texts())
        assert shown and shown <= english
        value = page.locator('gkss-search >> button[data-facet="target"] .value').first.inner_text()
        assert value.startswith("Cible ")
