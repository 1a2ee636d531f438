"""HTML pages and embed endpoints over HTTP: security headers, provenance, fixed filters, snippets, nh3."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import lxml.html
import pytest

from hub.web.sanitize import http_url, safe_highlight, safe_html
from normalizers.vocabularies.countries import countries
from normalizers.vocabularies.regions import region_id
from tests.support.hubs import HubProcess
from tests.web.conftest import REGIONAL_SOURCE, REGIONAL_SOURCE_REGION, in_fixed_region, payload_lines


def _everything(hub: HubProcess) -> list[dict[str, Any]]:
    answer = httpx.get(hub.url + "/api/search", params={"size": 100}, timeout=30).json()
    assert answer["total"] <= 100
    results: list[dict[str, Any]] = answer["results"]
    return results


def _status(html: str) -> str:
    return str(lxml.html.document_fromstring(html).xpath("string(//p[@class='status'])")).strip()


@pytest.mark.parametrize("path", ["/", "/embed/frame", "/embed/snippet", "/resources/unknown-id", "/admin"])
def test_html_pages_carry_a_strict_policy(real_hub: HubProcess, path: str) -> None:
    answer = httpx.get(real_hub.url + path, timeout=30)
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert "unsafe-inline" not in directives["script-src"] and "unsafe-eval" not in directives["script-src"]
    assert directives["default-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"
    html = lxml.html.document_fromstring(answer.text)
    assert not [s for s in html.xpath("//script") if not s.get("src")], "no inline script"
    assert not [e for e in html.iter() if isinstance(e.tag, str) for a in e.attrib if a.startswith("on")]
    if path == "/embed/frame":  # embeddable anywhere, no script at all
        assert "frame-ancestors" not in directives and "x-frame-options" not in answer.headers
        assert directives["script-src"] == "'none'" and not html.xpath("//script")
    else:
        assert directives["frame-ancestors"] == "'self'"


def test_portal_is_built_on_the_widget_and_links_the_services(real_hub: HubProcess) -> None:
    html = lxml.html.document_fromstring(httpx.get(real_hub.url + "/?lang=ar").text)
    assert html.get("dir") == "rtl" and html.get("lang") == "ar"
    assert html.xpath("//script/@src") == ["/embed/gkss-search.js", "/embed/progress.js"]
    assert html.xpath("//gkss-search/@lang") == ["ar"]
    links = set(html.xpath("//a/@href"))
    assert {
        "/feeds/atom",
        "/feeds/rss",
        "/feeds/json",
        "/docs",
        "/oai?verb=Identify",
        "/opensearch.xml",
    } <= links
    assert html.xpath("//link[@rel='search']/@type") == ["application/opensearchdescription+xml"]
    script = httpx.get(real_hub.url + "/embed/gkss-search.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"
    again = httpx.get(
        real_hub.url + "/embed/gkss-search.js", headers={"If-None-Match": script.headers["etag"]}
    )
    assert again.status_code == 304


def test_resource_page_shows_every_provenance_field(real_hub: HubProcess) -> None:
    record = _everything(real_hub)[0]
    resource = httpx.get(f"{real_hub.url}/api/resources/{record['id']}").json()
    html = lxml.html.document_fromstring(httpx.get(f"{real_hub.url}/resources/{record['id']}").text)
    cells = [str(c.text_content()) for c in html.xpath("//table[@class='provenance']/tbody/tr[1]/td")]
    provenance = resource["provenance"]
    assert cells[:3] == [provenance["source"], provenance["protocol"], provenance["native_id"]]
    assert cells[3].replace(" UTC", "") == provenance["harvested"][:19].replace("T", " ")
    assert cells[4] == provenance["payload_hash"]
    assert httpx.get(f"{real_hub.url}/resources/no-such-record").status_code == 404


def test_frame_fixed_filters_narrow_and_cannot_be_widened(real_hub: HubProcess) -> None:
    everything = _everything(real_hub)
    english = [r for r in everything if "en" in r["languages"]]
    assert 0 < len(english) < len(everything)
    base = real_hub.url + "/embed/frame?page-size=100&filter-language=en"
    assert _status(httpx.get(base).text) == f"{len(english)} results"
    other = next(lang for r in everything for lang in r["languages"] if lang != "en")
    widened = httpx.get(base + f"&language={other}").text  # a pick outside the fixed values is ignored
    assert _status(widened) == f"{len(english)} results"
    region = REGIONAL_SOURCE_REGION
    expected = in_fixed_region(everything, region)
    assert any(r["source"] == REGIONAL_SOURCE and not r["countries"] for r in expected), (
        "no country, the region"
    )
    status = _status(httpx.get(real_hub.url + f"/embed/frame?filter-region={region}").text)
    assert status == (f"{len(expected)} results" if len(expected) != 1 else "1 result") or (
        not expected and status == "No results"
    )
    assert httpx.get(real_hub.url + "/embed/frame?filter-region=atlantis").status_code == 400
    arabic = lxml.html.document_fromstring(httpx.get(real_hub.url + "/embed/frame?lang=ar").text)
    assert arabic.get("dir") == "rtl" and "عدد النتائج" in str(arabic.xpath("string(//p[@class='status'])"))


def test_the_language_facet_names_languages_in_the_interface_language(real_hub: HubProcess) -> None:
    """CLDR's names, capitalised as a label starts: English is "anglais" in French, "inglés" in Spanish;
    the links keep the code."""
    for lang, english in (("fr", "anglais"), ("es", "inglés"), ("en", "English")):
        html = lxml.html.document_fromstring(httpx.get(real_hub.url + f"/embed/frame?lang={lang}").text)
        items = html.xpath("//ul[@aria-labelledby='facet-language']//a")
        shown = {str(a.xpath("string(span[1])")).casefold(): a.get("href") for a in items}
        assert english.casefold() in shown, shown
        assert "language=en" in shown[english.casefold()]


def test_region_endpoint_lists_its_countries(real_hub: HubProcess) -> None:
    answer = httpx.get(real_hub.url + "/embed/regions/eastern-africa").json()
    expected = sorted(c.iso2 for c in countries().values() if region_id("014") in c.regions)
    assert answer["countries"] == expected and "KE" in expected
    assert httpx.get(real_hub.url + "/embed/regions/atlantis").status_code == 404


def test_snippet_generator_writes_both_snippets(real_hub: HubProcess) -> None:
    query = "lang=fr&page-size=5&filter-region=eastern-africa&filter-type=document"
    html = lxml.html.document_fromstring(httpx.get(f"{real_hub.url}/embed/snippet?{query}").text)
    script = lxml.html.fragment_fromstring(
        str(html.xpath("string(//code[@class='snippet-script'])")), create_parent="div"
    )
    assert script.xpath("//script/@src") == [real_hub.url + "/embed/gkss-search.js"]
    (element,) = script.xpath("//gkss-search")
    assert dict(element.attrib) == {
        "hub": real_hub.url,
        "lang": "fr",
        "page-size": "5",
        "filter-region": "eastern-africa",
        "filter-type": "document",
    }
    frame = lxml.html.fragment_fromstring(str(html.xpath("string(//code[@class='snippet-iframe'])")))
    src = str(frame.get("src"))
    assert src.startswith(real_hub.url + "/embed/frame?") and "filter-region=eastern-africa" in src
    assert httpx.get(src).status_code == 200


def test_sanitizer_removes_every_payload_of_the_fuzzer_list() -> None:
    for line in payload_lines():
        cleaned = lxml.html.fragment_fromstring(str(safe_html(line)) or "<span></span>", create_parent="div")
        assert not cleaned.xpath("//script|//iframe|//object|//embed|//style|//svg|//img|//*[@style]"), line
        for element in cleaned.iter():
            assert not [a for a in element.attrib if a.lower().startswith("on")], line
            assert set(element.attrib) <= {"href", "rel"}, line
            href = "".join(element.get("href", "").split()).lower()
            assert urlsplit(href).scheme in ("", "http", "https", "mailto"), line
        highlight = lxml.html.fragment_fromstring(
            str(safe_highlight(line)) or "<em></em>", create_parent="div"
        )
        assert {e.tag for e in highlight.iter()} <= {"div", "em"}, line
    assert str(safe_highlight("a <em>coral</em> &lt;reef&gt;")) == "a <em>coral</em> &lt;reef&gt;"
    assert http_url("javascript:alert(1)") is None and http_url(" https://cbd.int/x ") == "https://cbd.int/x"


def test_frame_names_values_and_orders_facets(real_hub: HubProcess) -> None:
    everything = _everything(real_hub)
    types = json.loads((Path(__file__).resolve().parents[2] / "hub" / "web" / "type_labels.json").read_text())
    html = lxml.html.document_fromstring(httpx.get(real_hub.url + "/embed/frame?lang=fr").text)
    values = {
        facet: [
            (str(a.xpath("string(span[1])")), int(a.xpath("string(span[@class='count'])")))
            for a in html.xpath(f"//h2[@id='facet-{facet}']/following-sibling::ul[1]//a")
        ]
        for facet in ("type", "year")
    }
    years = sorted({r["date"][:4] for r in everything if r["date"]}, reverse=True)
    assert [v for v, _ in values["year"]] == years[:8]
    kinds = {r["type"] for r in everything}
    assert {v for v, _ in values["type"]} == {types[k]["fr"] for k in kinds}
    counts = [n for _, n in values["type"]]
    assert counts == sorted(counts, reverse=True)
    empty = lxml.html.document_fromstring(httpx.get(real_hub.url + "/embed/frame?q=zzyzx&type=document").text)
    (clear,) = empty.xpath("//a[@class='clear-all']/@href")
    assert "type=" not in clear and "q=zzyzx" in clear and not empty.xpath("//nav[@class='pager']")
