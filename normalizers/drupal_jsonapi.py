"""Crosswalk from a Bioland (Drupal JSON:API ``node--content``) node to the common Resource schema.

The node's content type is its ``field_type_placement`` term (cbd-sources.md section 2: tids 2 News,
3 Event, 4 Learning Resource, 12 Document, ...); ``field_tags`` is a comma-separated string of CBD
thesaurus identifiers (GBF targets, goals, indicators, CBD subjects, ...). A node names no country:
the site's configured country and regions (the harvester's context) are the node's own, and are
recorded as such. Field shapes that differ from the documented ones (a list where a string was
expected, a missing relationship) are read as far as possible and never raise.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

import lxml.html
from lxml import etree

from harvesters.dates import parse_solr_datetime
from harvesters.records import RawRecord
from normalizers.errors import InvalidRecord
from normalizers.payload import json_object
from normalizers.resource import Resource, check_type, provenance_of, resource_id
from normalizers.vocabularies.countries import country_id, regions_of
from normalizers.vocabularies.gbf import goal_id, target_id
from normalizers.vocabularies.indicators import indicator_id
from normalizers.vocabularies.languages import normalize_language
from normalizers.vocabularies.regions import region_id

logger = logging.getLogger(__name__)

# field_type_placement term ids (drupal-module-bioland content types, cbd-sources.md section 2).
TYPE_BY_TID: dict[int, str] = {
    2: "news",
    3: "event",
    4: "training-material",
    5: "other",  # Project
    6: "other",  # Basic Page
    54: "news",  # Article
    8: "organisation",  # Government Ministry or Institute
    9: "other",  # Ecosystem
    10: "other",  # Protected Area
    11: "dataset",  # Biodiversity Data
    12: "document",
    13: "tool",  # Related Website
    15: "other",
    16: "other",  # Image or Video
    43: "other",  # FAQ
}
TYPE_BY_NAME: dict[str, str] = {
    "news": "news",
    "event": "event",
    "learning resource": "training-material",
    "article": "news",
    "government ministry or institute": "organisation",
    "biodiversity data": "dataset",
    "document": "document",
    "related website": "tool",
    "case study": "case-study",
}
MAX_DESCRIPTION = 4000


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if isinstance(value, list):  # a shape change: the first usable string
        return next((t for v in value if (t := _text(v))), None)
    return None


def _html_text(value: Any) -> str | None:
    text = _text(value)
    if not text or "<" not in text:
        return text
    try:
        return " ".join(str(lxml.html.fromstring(text).text_content()).split()) or None  # type: ignore[attr-defined]
    except (etree.ParserError, ValueError):
        return text


def _body(node: dict[str, Any]) -> str | None:
    body = node.get("body")
    if isinstance(body, dict):
        text = (
            _html_text(body.get("summary"))
            or _html_text(body.get("processed"))
            or _html_text(body.get("value"))
        )
    else:
        text = _html_text(body)
    return text[:MAX_DESCRIPTION] if text else None


def _type(node: dict[str, Any]) -> str:
    term = node.get("field_type_placement")
    terms = term if isinstance(term, list) else [term]
    for item in terms:
        if not isinstance(item, dict):
            continue
        tid = item.get("drupal_internal__tid")
        if isinstance(tid, int) and tid in TYPE_BY_TID:
            return TYPE_BY_TID[tid]
        name = _text(item.get("name"))
        if name and name.lower() in TYPE_BY_NAME:
            return TYPE_BY_NAME[name.lower()]
    return "other"


def tag_values(value: Any) -> list[str]:
    """``field_tags``: a comma-separated string of thesaurus ids (or, changed shape, a list of them)."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list):
        parts = [p for v in value for p in (v.split(",") if isinstance(v, str) else [])]
    else:
        return []
    return list(dict.fromkeys(p.strip() for p in parts if p.strip()))


def thesaurus_terms(tags: list[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """GBF goals, targets and indicators among thesaurus ids, and the other ids (subjects)."""
    goals: list[str] = []
    targets: list[str] = []
    indicators: list[str] = []
    others: list[str] = []
    for tag in tags:
        upper = tag.upper()
        if upper.startswith("GBF-GOAL") and (goal := goal_id(tag)):
            goals.append(goal)
        elif upper.startswith("GBF-T") and (target := target_id(tag)):
            targets.append(target)
        elif "INDICATOR" in upper and (found := indicator_id(tag)):
            indicators.append(found)
        else:
            others.append(tag)
    return sorted(set(goals)), sorted(set(targets)), sorted(set(indicators)), others


def _url(node: dict[str, Any], context: dict[str, Any], language: str) -> str | None:
    site = _text(context.get("site"))
    path = node.get("path")
    alias = _text(path.get("alias")) if isinstance(path, dict) else None
    locale = _text(context.get("locale")) or language
    if site and alias:
        return f"{site}/{locale}{alias if alias.startswith('/') else '/' + alias}"
    nid = node.get("drupal_internal__nid")
    if site and isinstance(nid, int):
        return f"{site}/{locale}/node/{nid}"
    link = node.get("field_url")
    uri = link.get("uri") if isinstance(link, dict) else _text(link)
    return uri if isinstance(uri, str) and uri.startswith(("http://", "https://")) else None


def _published(node: dict[str, Any], kind: str) -> date | None:
    keys = ("field_start_date", "created") if kind == "event" else ("created", "field_start_date")
    for key in keys:
        moment = _moment(node.get(key))
        if moment is not None:
            return moment.date()
    return None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, dict):  # daterange fields: {"value": ..., "end_value": ...}
        value = value.get("value")
    return parse_solr_datetime(_text(value))


def _place(context: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The site's configured country and regions, with the country's own M49 regions and CBD group."""
    countries: list[str] = []
    code = _text(context.get("country"))
    if code and (found := country_id(code)):
        countries.append(found)
    named = [
        r for value in context.get("regions") or [] if isinstance(value, str) and (r := region_id(value))
    ]
    return countries, list(dict.fromkeys([*named, *regions_of(countries)]))


def normalize_drupal_node(raw: RawRecord, protocol: str = "drupal-jsonapi") -> Resource:
    """Map one flattened Bioland node (with its site context) onto a Resource."""
    payload = json_object(raw)
    node = payload.get("node")
    if not isinstance(node, dict):
        raise InvalidRecord(f"{raw.native_id}: payload has no node object")
    found = payload.get("context")
    context: dict[str, Any] = found if isinstance(found, dict) else {}
    title = _text(node.get("title"))
    if title is None:
        raise InvalidRecord(f"{raw.native_id}: node has no title")
    language = normalize_language(_text(node.get("langcode")) or _text(context.get("locale")))
    kind = _type(node)
    goals, targets, indicators, subjects = thesaurus_terms(tag_values(node.get("field_tags")))
    countries, regions = _place(context)
    description = _body(node)
    return Resource(
        id=resource_id(raw.source_id, raw.native_id),
        source=raw.source_id,
        native_id=raw.native_id,
        url=_url(node, context, language),
        title={language: title},
        description={language: description} if description else {},
        type=check_type(kind),
        published=_published(node, kind),
        modified=_moment(node.get("changed")) or raw.datestamp,
        publisher=_text(context.get("title")),
        subjects=subjects,
        languages=[language] if language != "und" else [],
        countries=countries,
        regions=regions,
        gbf_goals=goals,
        gbf_targets=targets,
        gbf_indicators=indicators,
        provenance=provenance_of(raw, protocol),
    )
