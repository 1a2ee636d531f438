"""Harvested hostile HTML (the OAI-PMH fuzzer's XSS list) never executes: widget, portal, pages, feeds."""

from __future__ import annotations

from typing import Any

import feedparser
import httpx
import lxml.html
import pytest

from tests.support.hubs import HubProcess
from tests.web.browser import chromium, host_site, screenshot
from tests.web.conftest import hostile_records

# every way a payload could run calls one of these or sets document.vulnerable: each call raises a flag
TRAP = """
window.__xss = [];
for (const name of ["alert", "prompt", "confirm", "print", "open"]) {
  window[name] = function (...args) { window.__xss.push(name + ":" + String(args[0])); };
}
document.addEventListener("securitypolicyviolation", (e) => window.__xss.push("csp:" + e.violatedDirective));
"""
# any element anywhere (shadow roots included) with an on* attribute or a javascript:/data: link
DANGER = """() => {
  const bad = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      for (const attr of el.attributes) {
        const value = attr.value.trim().toLowerCase();
        if (attr.name.startsWith("on")) bad.push(el.tagName + " " + attr.name);
        if (["href", "src", "action", "formaction"].includes(attr.name)
            && ["javascript:", "data:", "vbscript:"].some((s) => value.startsWith(s)))
          bad.push(el.tagName + " " + attr.name + "=" + value.slice(0, 40));
      }
      if (["SCRIPT", "IFRAME", "OBJECT", "EMBED", "STYLE"].includes(el.tagName) && !el.closest("head")
          && el.getAttribute("src") === null) bad.push(el.tagName);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return bad;
}"""


def _page(browser: Any) -> tuple[Any, list[str]]:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(TRAP)
    return page, dialogs


def _clean(page: Any, dialogs: list[str], where: str) -> None:
    page.wait_for_timeout(300)  # let onerror/onload handlers of anything injected fire
    fired = page.evaluate("() => [...window.__xss, String(document.vulnerable)]")
    assert fired == ["undefined"], f"{where}: a payload ran: {fired[:5]}"
    assert dialogs == [], f"{where}: dialogs {dialogs[:5]}"
    assert page.evaluate(DANGER) == [], f"{where}: dangerous markup {page.evaluate(DANGER)[:5]}"


def _all_ids(hub: HubProcess) -> list[str]:
    ids: list[str] = []
    page = 1
    while True:
        answer = httpx.get(hub.url + "/api/search", params={"size": 100, "page": page}, timeout=30).json()
        ids += [r["id"] for r in answer["results"]]
        if len(ids) >= answer["total"] or not answer["results"]:
            return ids
        page += 1


@pytest.mark.browser
def test_payloads_never_run_in_widget_portal_resource_and_iframe_pages(hostile_hub: HubProcess) -> None:
    ids = _all_ids(hostile_hub)
    assert len(ids) == len(hostile_records()), "every hostile record was harvested and indexed"
    pages = -(-len(ids) // 100)
    host = (  # a host site without any Content-Security-Policy: the widget's own rendering is what is tested
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host</title>'
        f'<script src="{hostile_hub.url}/embed/gkss-search.js" defer></script></head><body>'
        f'<gkss-search hub="{hostile_hub.url}" page-size="100"></gkss-search></body></html>'
    )
    with chromium() as browser, host_site(host) as site:
        page, dialogs = _page(browser)
        for url, name in ((site, "widget"), (hostile_hub.url + "/", "portal")):
            page.goto(url)
            page.locator("gkss-search").evaluate(
                "e => e.setAttribute('page-size', '100')"
            )  # the portal shows 10
            shown: set[str] = set()
            for number in range(1, pages + 1):
                if number > 1:
                    page.locator("gkss-search >> button.next").click()
                page.locator("gkss-search >> .where").filter(has_text=f"Page {number} of {pages}").wait_for(
                    timeout=20000
                )
                page.locator("gkss-search >> li.result").first.wait_for()
                shown |= set(
                    page.locator("gkss-search >> li.result").evaluate_all("l => l.map(e => e.dataset.id)")
                )
                _clean(page, dialogs, f"{name} page {number}")
            assert shown == set(ids), f"{name}: every hostile record was rendered"
            screenshot(page, f"hostile-{name}")
        for number in range(1, pages + 1):
            page.goto(f"{hostile_hub.url}/embed/frame?page-size=100&page={number}")
            assert page.locator("li.result").count() == min(100, len(ids) - (number - 1) * 100)
            _clean(page, dialogs, f"iframe page {number}")
        for rid in ids:  # every resource page over HTTP, a quarter of them in the browser
            html = httpx.get(f"{hostile_hub.url}/resources/{rid}", timeout=30).text
            tree = lxml.html.document_fromstring(html)
            assert not tree.xpath("//body//script|//iframe|//object|//embed|//style|//*[@style]"), rid
            assert not [
                a for e in tree.iter() if isinstance(e.tag, str) for a in e.attrib if a.startswith("on")
            ]
            assert not tree.xpath(
                "//a[starts-with(normalize-space(translate(@href,'JAVSCRIPT','javscript')),'javascript:')]"
            )
        for rid in ids[::4]:
            page.goto(f"{hostile_hub.url}/resources/{rid}")
            _clean(page, dialogs, f"resource page {rid}")
        screenshot(page, "hostile-resource")


def _html_values(entry: Any) -> list[str]:
    """What a reader renders as HTML (text/plain values are shown as text, whatever they hold)."""
    details = [entry.get("title_detail"), entry.get("summary_detail"), *entry.get("content", [])]
    return [d["value"] for d in details if d and "html" in d.get("type", "") and "<" in d["value"]]


def _feed_urls(hub: HubProcess, kind: str, total: int) -> list[str]:
    return [f"{hub.url}/feeds/{kind}?size=100&page={n}" for n in range(1, -(-total // 100) + 1)]


def test_a_feed_reader_gets_no_script(hostile_hub: HubProcess) -> None:
    total = len(_all_ids(hostile_hub))
    seen = 0
    for url in _feed_urls(hostile_hub, "json", total):  # JSON Feed: text only, which readers show as text
        items = httpx.get(url, timeout=30).json()["items"]
        assert all("content_html" not in item and "content_text" in item for item in items)
        seen += len(items)
    for kind in ("atom", "rss"):  # feedparser 6 reads these (not JSON Feed), sanitising HTML
        for url in _feed_urls(hostile_hub, kind, total):
            parsed = feedparser.parse(httpx.get(url, timeout=30).content)
            assert not parsed.bozo, (url, parsed.get("bozo_exception"))
            for entry in parsed.entries:
                seen += 1
                for text in _html_values(entry):
                    tree = lxml.html.fragment_fromstring(text, create_parent="div")
                    assert not tree.xpath("//script|//iframe|//object|//embed"), (url, text[:80])
                    for element in tree.iter():
                        assert not [a for a in element.attrib if a.lower().startswith("on")], text[:80]
                        href = element.get("href", "") + element.get("src", "")
                        assert not href.strip().lower().startswith("javascript:"), text[:80]
                assert entry.get("link", "").startswith(("http://", "https://")), entry.get("link")
    assert seen == 3 * total
