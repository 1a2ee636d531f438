"""axe-core at every impact (minor and moderate too) on the portal, a record page, the widget in another
site's page, the iframe and the admin page, in English, French and Arabic, at 1280x900 and 390x844."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.hubs import HubProcess
from tests.web.browser import axe_summary, chromium, host_site, local_only, run_axe, screenshot
from tests.web.conftest import cbd_meeting_docs

pytestmark = pytest.mark.browser
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _host_page(hub: str, lang: str) -> str:
    """Another site's page (a regional centre's) holding the widget and the iframe, in ``lang``."""
    direction = "rtl" if lang == "ar" else "ltr"
    return (
        f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>A centre</title>'
        f'<script src="{hub}/embed/gkss-search.js" defer></script></head>'
        f'<body><main><h1>A regional centre</h1><gkss-search hub="{hub}" lang="{lang}" page-size="5">'
        f'</gkss-search><iframe src="{hub}/embed/frame?lang={lang}&amp;page-size=5" title="Search" '
        'width="100%" height="600"></iframe></main></body></html>'
    )


def _with_targets(hub: HubProcess) -> str:
    """A record naming GBF targets (a CBD meeting), for a record page with goal and target names."""
    cop17 = next(d for d in cbd_meeting_docs() if d.get("symbol_s") == "COP-17")
    found = httpx.get(hub.url + "/api/search", params={"q": cop17["title_EN_t"], "size": 5}).json()
    ids: list[str] = [r["id"] for r in found["results"] if r["source"] == "cbd-meetings"]
    assert ids, "the COP-17 meeting is harvested"
    return ids[0]


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_axe_finds_nothing_at_any_impact(cbd_hub: HubProcess, lang: str, viewport: str) -> None:
    record = _with_targets(cbd_hub)
    with chromium() as browser, host_site(_host_page(cbd_hub.url, lang)) as site:
        context = browser.new_context(viewport=VIEWPORTS[viewport], bypass_csp=True)  # axe is inline
        outside = local_only(context)
        page = context.new_page()
        found: dict[str, Any] = {}
        for name, url, ready in (
            ("portal", f"{cbd_hub.url}/?lang={lang}", "gkss-search >> li.result"),
            ("record", f"{cbd_hub.url}/resources/{record}?lang={lang}", "main"),
            ("widget", site, "gkss-search >> li.result"),
            ("iframe", f"{cbd_hub.url}/embed/frame?lang={lang}&page-size=5", "main"),
            ("admin", f"{cbd_hub.url}/admin?lang={lang}", "#sources tbody tr"),
        ):
            page.goto(url)
            page.locator(ready).first.wait_for(timeout=15000)
            if name == "widget":
                page.frame_locator("iframe").locator("main").wait_for(timeout=15000)
            found[name] = axe_summary(run_axe(page))
            screenshot(page, f"axe-{name}-{lang}-{viewport}")
        assert found == {name: [] for name in found}
        assert outside == []
