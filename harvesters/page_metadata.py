"""Metadata a web page states about itself: schema.org JSON-LD, OpenGraph, Dublin Core, HTML, then selectors.

The page's own statements come first (``jsonld``, ``opengraph``, ``dublin_core``, ``html``); CSS or
XPath selectors from the source configuration are read second (``selected``), for sites whose pages
state nothing. Invalid JSON-LD blocks are counted, never fatal.
"""

from __future__ import annotations

import json
from typing import Any

import parsel

JSONLD_XPATH = '//script[@type="application/ld+json"]/text()'
MAX_JSONLD_OBJECTS = 50


def _objects(value: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    """Every typed object of a JSON-LD value: top level, ``@graph`` members and ``mainEntity``."""
    if depth > 5 or len(out) >= MAX_JSONLD_OBJECTS:
        return
    if isinstance(value, list):
        for item in value:
            _objects(item, out, depth + 1)
        return
    if not isinstance(value, dict):
        return
    if "@type" in value:
        out.append(value)
    for key in ("@graph", "mainEntity", "mainEntityOfPage"):
        if isinstance(value.get(key), dict | list):
            _objects(value[key], out, depth + 1)


def jsonld_objects(selector: parsel.Selector) -> tuple[list[dict[str, Any]], int]:
    """The typed JSON-LD objects of a page and the number of blocks that were not valid JSON."""
    found: list[dict[str, Any]] = []
    invalid = 0
    for block in selector.xpath(JSONLD_XPATH).getall():
        try:
            _objects(json.loads(block), found)
        except (ValueError, RecursionError):
            invalid += 1
    return found, invalid


def _meta(selector: parsel.Selector, attribute: str, prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for meta in selector.xpath(f"//meta[@{attribute}][@content]"):
        name = (meta.attrib.get(attribute) or "").strip().lower()
        prefix = next((p for p in prefixes if name.startswith(p)), None)
        content = " ".join((meta.attrib.get("content") or "").split())
        if prefix is None or not content:
            continue
        key = name if prefix in ("og:", "article:") else name[len(prefix) :]
        out.setdefault(key, [])
        if content not in out[key]:
            out[key].append(content)
    return out


def select(selector: parsel.Selector, expression: str) -> list[str]:
    """``css:h1::text`` or ``xpath://h1/text()`` (bare: CSS) -> the stripped, non-empty matches."""
    kind, _, query = expression.partition(":")
    if kind == "xpath":
        values = selector.xpath(query).getall()
    elif kind == "css":
        values = selector.css(query).getall()
    else:
        values = selector.css(expression).getall()
    return [text for v in values if (text := " ".join(v.split()))]


def extract_metadata(body: str, url: str, selectors: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything the page states about itself, grouped by where it was stated."""
    selector = parsel.Selector(text=body)
    objects, invalid = jsonld_objects(selector)
    html = {
        "title": " ".join(" ".join(selector.xpath("//title//text()").getall()).split()) or None,
        "description": selector.xpath('//meta[@name="description"]/@content').get(),
        "lang": selector.xpath("/html/@lang").get(),
        "canonical": selector.xpath('//link[@rel="canonical"]/@href').get(),
    }
    selected: dict[str, list[str]] = {}
    for field, expression in (selectors or {}).items():
        try:
            values = select(selector, expression)
        except ValueError:  # a bad expression in the source configuration
            values = []
        if values:
            selected[field] = values
    return {
        "url": url,
        "jsonld": objects,
        "jsonld_invalid": invalid,
        "opengraph": _meta(selector, "property", ("og:", "article:")),
        "dublin_core": _meta(selector, "name", ("dcterms.", "dc.")),
        "html": {k: v for k, v in html.items() if v},
        "selected": selected,
    }
