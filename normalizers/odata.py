"""Crosswalk from an InforMEA OData entity (Decisions, Meetings, CountryReports, ...) to a Resource.

Entities follow the InforMEA API 1.5.6 (scbd/informea ``context.js``): localised fields are
collections of ``{language, value}`` (``LocalizableString``), expanded as ``{"results": [...]}`` in
OData v2 JSON or given as a plain list; an unexpanded one is ``{"__deferred": ...}`` and carries no
text. Dates are ``/Date(ms)/``. Countries are ISO alpha-3 or alpha-2. An entity set the crosswalk
does not know still maps (type ``other``) from the fields all sets share.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from harvesters.dates import parse_odata_date
from harvesters.records import RawRecord
from normalizers.errors import InvalidRecord
from normalizers.payload import json_object
from normalizers.resource import Resource, check_type, provenance_of, resource_id
from normalizers.vocabularies.countries import country_id, regions_of
from normalizers.vocabularies.languages import UN_LANGUAGES, normalize_language
from normalizers.vocabularies.regions import region_id

logger = logging.getLogger(__name__)

SET_TYPES: dict[str, str] = {
    "Decisions": "decision",
    "Meetings": "meeting",
    "CountryReports": "national-report",
    "NationalPlans": "document",
    "Documents": "document",
    "Contacts": "other",
    "Sites": "other",
}
PLAN_TYPES = {"nbsap": "nbsap"}
_TITLE_FIELDS = ("title", "longTitle", "name")
_DESCRIPTION_FIELDS = ("summary", "description", "content")
_PUBLISHED_FIELDS = ("published", "submission", "start", "updated")
_URL_FIELDS = ("link", "url")


def localizable(value: Any) -> dict[str, str]:
    """A LocalizableString collection (v2 ``results``, plain list, or a bare string) as language -> text."""
    if isinstance(value, dict):
        if "__deferred" in value:
            return {}
        value = value.get("results", [])
    if isinstance(value, str):
        text = " ".join(value.split())
        return {"en": text} if text else {}
    out: dict[str, str] = {}
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            item = {"language": "en", "value": item}
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            continue
        text = " ".join(item["value"].split())
        lang = normalize_language(item.get("language") if isinstance(item.get("language"), str) else None)
        if text and lang not in out:
            out[lang] = text
    order = [*UN_LANGUAGES, *sorted(k for k in out if k not in UN_LANGUAGES)]
    return {lang: out[lang] for lang in order if lang in out}


def _first_localised(entity: dict[str, Any], fields: tuple[str, ...]) -> dict[str, str]:
    for name in fields:
        texts = localizable(entity.get(name))
        if texts:
            return texts
    return {}


def _url(entity: dict[str, Any]) -> str | None:
    for name in _URL_FIELDS:
        value = entity.get(name)
        if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
            return value.strip()
    files = entity.get("files")
    if isinstance(files, dict):
        files = files.get("results")
    for item in files if isinstance(files, list) else []:
        if isinstance(item, dict) and isinstance(item.get("url"), str) and item["url"].startswith("http"):
            return str(item["url"])
    return None


def _published(entity: dict[str, Any]) -> date | None:
    for name in _PUBLISHED_FIELDS:
        moment = parse_odata_date(entity.get(name))
        if moment is not None:
            return moment.date()
    return None


def _type(entity_set: str, entity: dict[str, Any]) -> str:
    if entity_set == "NationalPlans":
        kind = entity.get("type")
        return PLAN_TYPES.get(kind.lower(), "document") if isinstance(kind, str) else "document"
    return SET_TYPES.get(entity_set, "other")


def _keywords(entity: dict[str, Any]) -> list[str]:
    value = entity.get("keywords")
    if isinstance(value, dict):
        value = value.get("results", [])
    found: list[str] = []
    for item in value if isinstance(value, list) else []:
        term = item.get("term") or item.get("value") if isinstance(item, dict) else item
        if isinstance(term, str) and term.strip() and term.strip() not in found:
            found.append(term.strip())
    return found


def _place(entity: dict[str, Any], context: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The entity's own country; else the source's configured one. Regions follow the countries."""
    countries: list[str] = []
    for value in (entity.get("country"), context.get("country")):
        code = country_id(value) if isinstance(value, str) and value.strip() else None
        if code:
            countries.append(code)
            break
    named = [r for v in context.get("regions") or [] if isinstance(v, str) and (r := region_id(v))]
    return countries, list(dict.fromkeys([*regions_of(countries), *named]))


def normalize_odata_entity(raw: RawRecord, protocol: str = "odata") -> Resource:
    """Map one InforMEA entity onto a Resource; InvalidRecord when it carries no title in any language."""
    payload = json_object(raw)
    entity = payload.get("entity")
    if not isinstance(entity, dict):
        raise InvalidRecord(f"{raw.native_id}: payload has no entity object")
    entity_set = str(payload.get("entity_set") or "")
    found = payload.get("context")
    context: dict[str, Any] = found if isinstance(found, dict) else {}
    title = _first_localised(entity, _TITLE_FIELDS)
    if not title:
        deferred = isinstance(entity.get("title"), dict) and "__deferred" in entity["title"]
        reason = "title is deferred (not expanded)" if deferred else "no title in any language"
        raise InvalidRecord(f"{raw.native_id}: {entity_set or 'entity'} {reason}")
    countries, regions = _place(entity, context)
    treaty = entity.get("treaty")
    return Resource(
        id=resource_id(raw.source_id, raw.native_id),
        source=raw.source_id,
        native_id=raw.native_id,
        url=_url(entity),
        title=title,
        description=_first_localised(entity, _DESCRIPTION_FIELDS),
        type=check_type(_type(entity_set, entity)),
        published=_published(entity),
        modified=parse_odata_date(entity.get("updated")) or raw.datestamp,
        publisher=treaty.strip() if isinstance(treaty, str) and treaty.strip() else None,
        subjects=_keywords(entity),
        languages=[lang for lang in title if lang != "und"],
        countries=countries,
        regions=regions,
        provenance=provenance_of(raw, protocol),
    )
