"""Crosswalk from a crawled web page (sitemap/scrape) to a Resource: what the page states first.

Order of trust for each field: schema.org JSON-LD, then OpenGraph, then Dublin Core ``<meta>``,
then the HTML itself (``<title>``, ``<meta name=description>``, ``<html lang>``), and last the CSS/XPath
selectors of the source configuration (for pages that state nothing). Selectors named ``targets``,
``countries`` and ``type`` feed those fields directly. The source's configured country and regions
apply when the page names no country.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from harvesters.dates import parse_solr_datetime
from harvesters.records import RawRecord
from normalizers.errors import InvalidRecord
from normalizers.oai_dc import country_code
from normalizers.payload import json_object
from normalizers.resource import Resource, check_type, provenance_of, resource_id
from normalizers.vocabularies.countries import regions_of
from normalizers.vocabularies.gbf import target_id
from normalizers.vocabularies.languages import normalize_language
from normalizers.vocabularies.regions import region_id
from normalizers.vocabularies.resource_types import map_type

# schema.org and OpenGraph types -> the hub's resource types.
PAGE_TYPES: dict[str, str] = {
    "dataset": "dataset",
    "datacatalog": "dataset",
    "event": "event",
    "newsarticle": "news",
    "blogposting": "news",
    "report": "document",
    "article": "document",
    "scholarlyarticle": "document",
    "book": "document",
    "creativework": "document",
    "digitaldocument": "document",
    "course": "training-material",
    "learningresource": "training-material",
    "organization": "organisation",
    "governmentorganization": "organisation",
    "softwareapplication": "tool",
    "webapplication": "tool",
}
_SKIPPED_TYPES = {"webpage", "website", "breadcrumblist", "searchaction", "imageobject", "person", "offer"}


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, list):
        return next((t for v in value if (t := _text(v))), None)
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@value"))
    return None


def _types(obj: dict[str, Any]) -> list[str]:
    value = obj.get("@type")
    values = value if isinstance(value, list) else [value]
    return [v.rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)]


def main_object(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON-LD object describing the page's content: the first one of a content type, else the first."""
    for obj in objects:
        if any(t in PAGE_TYPES for t in _types(obj)):
            return obj
    for obj in objects:
        if not set(_types(obj)) <= _SKIPPED_TYPES:
            return obj
    return objects[0] if objects else {}


def _first(*values: Any) -> str | None:
    return next((t for v in values if (t := _text(v))), None)


def _dates(meta: dict[str, Any], ld: dict[str, Any]) -> tuple[date | None, datetime | None]:
    og = meta["opengraph"]
    dc = meta["dublin_core"]
    published = _moment(ld.get("datePublished") or ld.get("startDate") or ld.get("dateCreated"))
    published = published or _moment(_text(og.get("article:published_time")))
    published = published or _moment(_text(dc.get("date") or dc.get("issued") or dc.get("created")))
    published = published or _moment(_text(meta["selected"].get("date")))
    modified = _moment(ld.get("dateModified")) or _moment(_text(og.get("article:modified_time")))
    modified = modified or _moment(_text(dc.get("modified")))
    return (published.date() if published else None), modified


def _moment(value: Any) -> datetime | None:
    text = _text(value)
    if not text:
        return None
    if len(text) == 4 and text.isdigit():
        text += "-01-01"
    return parse_solr_datetime(text)


def _language(page: dict[str, Any], ld: dict[str, Any]) -> str:
    meta = page["metadata"]
    candidates = (
        _text(ld.get("inLanguage")),
        _text(meta["opengraph"].get("og:locale")),
        _text(meta["dublin_core"].get("language")),
        _text(page.get("content_language")),
        _text(meta["html"].get("lang")),
    )
    for candidate in candidates:
        language = normalize_language(candidate)
        if language != "und":
            return language
    return "und"


def _type(meta: dict[str, Any], ld: dict[str, Any]) -> str:
    for kind in _types(ld):
        if kind in PAGE_TYPES:
            return PAGE_TYPES[kind]
    words = [*meta["selected"].get("type", []), *meta["dublin_core"].get("type", [])]
    return map_type(words, "document" if ld or meta["opengraph"].get("og:type") == ["article"] else "other")


def _countries(meta: dict[str, Any], context: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for value in [*meta["selected"].get("countries", []), *meta["dublin_core"].get("coverage", [])]:
        for part in value.split(";"):
            code = country_code(part.strip()) or country_code(part.strip().upper())
            if code and code not in found:
                found.append(code)
    if not found and isinstance(context.get("country"), str):
        code = country_code(context["country"].upper())
        found = [code] if code else []
    return found


def _subjects(meta: dict[str, Any], ld: dict[str, Any]) -> list[str]:
    values: list[str] = []
    keywords = ld.get("keywords")
    if isinstance(keywords, str):
        values += keywords.split(",")
    elif isinstance(keywords, list):
        values += [k for k in keywords if isinstance(k, str)]
    for value in [*meta["dublin_core"].get("subject", []), *meta["opengraph"].get("article:tag", [])]:
        values += value.split(",") if "," in value else [value]
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))


def normalize_web_page(raw: RawRecord, protocol: str = "sitemap") -> Resource:
    """Map one crawled page onto a Resource; InvalidRecord when the page states no title at all."""
    payload = json_object(raw)
    page = payload.get("page")
    if not isinstance(page, dict) or not isinstance(page.get("metadata"), dict):
        raise InvalidRecord(f"{raw.native_id}: payload has no page metadata")
    found = payload.get("context")
    context: dict[str, Any] = found if isinstance(found, dict) else {}
    meta = page["metadata"]
    ld = main_object(meta["jsonld"])
    og, dc, html, selected = meta["opengraph"], meta["dublin_core"], meta["html"], meta["selected"]
    title = _first(ld.get("name"), ld.get("headline"), og.get("og:title"), dc.get("title"), html.get("title"))
    title = title or _first(selected.get("title"))
    if title is None:
        raise InvalidRecord(f"{raw.native_id}: the page states no title")
    language = _language(page, ld)
    description = _first(ld.get("description"), og.get("og:description"), dc.get("description"))
    description = description or _first(html.get("description"), selected.get("description"))
    published, modified = _dates(meta, ld)
    countries = _countries(meta, context)
    named_regions = [r for v in context.get("regions") or [] if isinstance(v, str) and (r := region_id(v))]
    targets = sorted({t for v in selected.get("targets", []) if (t := target_id(v))})
    creators = [c for c in (_text(ld.get("author")), *dc.get("creator", [])) if c]
    return Resource(
        id=resource_id(raw.source_id, raw.native_id),
        source=raw.source_id,
        native_id=raw.native_id,
        url=raw.native_id,
        title={language: title},
        description={language: description} if description else {},
        type=check_type(_type(meta, ld)),
        published=published,
        modified=modified,
        creators=list(dict.fromkeys(creators)),
        publisher=_first(
            ld.get("publisher"), og.get("og:site_name"), dc.get("publisher"), context.get("title")
        ),
        subjects=_subjects(meta, ld),
        languages=[language] if language != "und" else [],
        countries=countries,
        regions=list(dict.fromkeys([*regions_of(countries), *named_regions])),
        gbf_targets=targets,
        provenance=provenance_of(raw, protocol),
    )
