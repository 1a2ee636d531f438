"""Crosswalk from a CBD index (Solr) document to the common Resource schema.

CBD payload quirks handled here (cbd-sources.md section 6):

* Localised copies ``title_XX_t``/``title_XX_s`` exist for all six UN languages even when nothing
  was translated: the index copies the English text into them. Only real translations are kept: a
  non-English value identical to the English one is dropped, so English text is never labelled
  Arabic or Chinese.
* ``*_CEN_s``/``*_CEN_ss``, ``documentLinks_s`` and ``files_ss`` are JSON inside Solr strings; a
  string that is not valid JSON is ignored and the rest of the record kept.
* ``government_s`` and friends are lower-case ISO codes; they are upper-cased and checked.
* Fields may change shape (a list where a string was expected, or the reverse); the first usable
  string is taken and the change is logged, never raised.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from harvesters.dates import parse_solr_datetime
from harvesters.records import RawRecord
from normalizers.payload import json_object
from normalizers.resource import Resource, check_type, provenance_of, resource_id
from normalizers.vocabularies.countries import country_id, regions_of
from normalizers.vocabularies.gbf import goal_id, target_id
from normalizers.vocabularies.indicators import indicator_id
from normalizers.vocabularies.languages import UN_LANGUAGES
from normalizers.vocabularies.regions import CBD_REGIONAL_GROUPS

logger = logging.getLogger(__name__)

SCHEMA_TYPES: dict[str, str] = {
    "notification": "notification",
    "meeting": "meeting",
    "decision": "decision",
    "recommendation": "decision",
    "nbsap": "nbsap",
    "resource": "document",
}
_PREFIX_TYPES: tuple[tuple[str, str], ...] = (
    ("nationalReport", "national-report"),
    ("nationalTarget", "national-target"),
)
# The order fields are read in; the first non-empty one wins.
_TITLE_BASES = ("title",)
_DESCRIPTION_BASES = ("summary", "description")
_COUNTRY_FIELDS = ("government_s", "country_s", "countries_ss", "hostGovernments_ss")
_COUNTRY_TERM_FIELDS = ("government_CEN_s", "country_CEN_s")
_PUBLISHED_FIELDS = ("date_dt", "adoptionDate_dt", "submittedDate_dt", "createdDate_dt")
_TARGET_FIELDS = (
    "globalTargetAlignment_ss",
    "gbfTargets_ss",
    "targets_ss",
    "target_s",
    "globalGoalOrTarget_s",
)
_INDICATOR_FIELDS = (
    "headlineIndicators_ss",
    "binaryIndicators_ss",
    "componentIndicators_ss",
    "complementaryIndicators_ss",
    "indicator_s",
)
_GROUP_IDS = frozenset(group.identifier for group in CBD_REGIONAL_GROUPS)
_SUBJECT_TERM_FIELDS = ("themes_CEN_ss", "thematicAreas_CEN_ss", "thematicArea_CEN_ss")


def schema_type(schema: str | None) -> str:
    """The resource type of an index schema; ``other`` when the schema is unknown."""
    if not schema:
        return "other"
    if schema in SCHEMA_TYPES:
        return SCHEMA_TYPES[schema]
    for prefix, kind in _PREFIX_TYPES:
        if schema.startswith(prefix):
            return kind
    return "other"


def _clean(value: str) -> str:
    return " ".join(value.split())


def first_text(doc: dict[str, Any], key: str) -> str | None:
    """The field as one string: a string as is, the first string of a list (a shape change, logged)."""
    value = doc.get(key)
    if isinstance(value, str):
        return _clean(value) or None
    if isinstance(value, list):
        texts = [_clean(v) for v in value if isinstance(v, str) and v.strip()]
        if texts and not key.endswith(("_ss", "_txt")):
            logger.info("cbd-index field %s is a list, expected a string; first value used", key)
        return texts[0] if texts else None
    return None


def texts_of(doc: dict[str, Any], key: str) -> list[str]:
    """The field as a list of strings, whether it came as a list or a single string."""
    value = doc.get(key)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return []
    return [_clean(v) for v in value if isinstance(v, str) and v.strip()]


def decode_json(value: str | None) -> Any:
    """A JSON-in-string field decoded; None when it is absent or not valid JSON."""
    if not value:
        return None
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        logger.info("cbd-index JSON-in-string field is not valid JSON; ignored")
        return None


def _localised(doc: dict[str, Any], bases: Iterable[str]) -> dict[str, str]:
    """Language-keyed texts from ``<base>_XX_t``/``_XX_s``, falling back to ``<base>_t``/``_s`` as English."""
    out: dict[str, str] = {}
    for base in bases:
        for lang in UN_LANGUAGES:
            if lang in out:
                continue
            code = lang.upper()
            value = first_text(doc, f"{base}_{code}_t") or first_text(doc, f"{base}_{code}_s")
            if value:
                out[lang] = value
        if "en" not in out:
            value = first_text(doc, f"{base}_t") or first_text(doc, f"{base}_s")
            if value:
                out["en"] = value
        if out:
            break
    english = out.get("en")
    if english is not None:
        out = {lang: text for lang, text in out.items() if lang == "en" or text != english}
    return {lang: out[lang] for lang in UN_LANGUAGES if lang in out}


def _http(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().lower().startswith(("http://", "https://")):
        url = value.strip()
        return url if " " not in url else None
    return None


def _linked_urls(doc: dict[str, Any]) -> list[str]:
    """URLs held in the JSON-in-string fields ``documentLinks_s`` and ``files_ss`` (English first)."""
    found: list[tuple[int, str]] = []
    raw = texts_of(doc, "documentLinks_s") + texts_of(doc, "files_ss")
    for text in raw:
        decoded = decode_json(text)
        items = decoded if isinstance(decoded, list) else [decoded]
        for item in items:
            if isinstance(item, dict) and (url := _http(item.get("url"))):
                rank = 0 if str(item.get("language") or "en").lower() == "en" else 1
                found.append((rank, url))
    return [url for _, url in sorted(found, key=lambda pair: pair[0])]


def _url(doc: dict[str, Any]) -> str | None:
    for key in ("url_ss", "url_s"):
        for value in texts_of(doc, key):
            if url := _http(value):
                return url
    return next(iter(_linked_urls(doc)), None)


def _countries(doc: dict[str, Any]) -> list[str]:
    codes: list[str] = []
    for key in _COUNTRY_FIELDS:
        codes += texts_of(doc, key)
    for key in _COUNTRY_TERM_FIELDS:
        term = decode_json(first_text(doc, key))
        if isinstance(term, dict) and isinstance(term.get("symbol"), str):
            codes.append(term["symbol"])
    found: list[str] = []
    for value in codes:
        code = country_id(value) if len(value) == 2 and value.isalpha() else None
        if code and code not in found:
            found.append(code)
    return found


def _gbf(doc: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
    """GBF goals, targets and indicators named by the ``*_REL_ss`` expansions and the alignment fields."""
    values: list[str] = []
    for key in sorted(doc):
        if key.endswith("_REL_ss") or key in _TARGET_FIELDS or key in _INDICATOR_FIELDS:
            values += texts_of(doc, key)
    targets: list[str] = []
    goals: list[str] = []
    indicators: list[str] = []
    for value in values:
        upper = value.upper()
        if upper.startswith("GBF-GOAL"):
            goal = goal_id(value)
            if goal and goal not in goals:
                goals.append(goal)
        elif upper.startswith("GBF-T"):
            target = target_id(value)
            if target and target not in targets:
                targets.append(target)
        elif "INDICATOR" in upper:
            found = indicator_id(value)
            if found and found not in indicators:
                indicators.append(found)
    return sorted(goals), sorted(targets), sorted(indicators)


def _regions(doc: dict[str, Any], countries: list[str]) -> list[str]:
    """CBD regional groups named in ``*_REL_ss`` (country expansions), then the countries' M49 regions."""
    named = [v.upper() for key in sorted(doc) if key.endswith("_REL_ss") for v in texts_of(doc, key)]
    groups = [value for value in dict.fromkeys(named) if value in _GROUP_IDS]
    return list(dict.fromkeys([*regions_of(countries), *groups]))


def _subjects(doc: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for key in _SUBJECT_TERM_FIELDS:
        for text in texts_of(doc, key):
            term = decode_json(text)
            label = term.get("en") if isinstance(term, dict) else None
            if isinstance(label, str) and label.strip() and label.strip() not in found:
                found.append(label.strip())
        if found:
            break
    return found


def _publisher(doc: dict[str, Any]) -> str | None:
    term = decode_json(first_text(doc, "government_CEN_s"))
    if isinstance(term, dict) and isinstance(term.get("en"), str):
        return term["en"].strip() or None
    return first_text(doc, "government_EN_t") or first_text(doc, "government_EN_s")


def _published(doc: dict[str, Any]) -> date | None:
    for key in _PUBLISHED_FIELDS:
        moment = parse_solr_datetime(first_text(doc, key))
        if moment is not None:
            return moment.date()
    return None


def _modified(doc: dict[str, Any], raw: RawRecord) -> datetime | None:
    return parse_solr_datetime(first_text(doc, "updatedDate_dt")) or raw.datestamp


def normalize_cbd_index(raw: RawRecord, protocol: str = "cbd-index") -> Resource:
    """Map one CBD index document onto a Resource; InvalidRecord only when the payload is no JSON object."""
    doc = json_object(raw)
    title = _localised(doc, _TITLE_BASES)
    goals, targets, indicators = _gbf(doc)
    countries = _countries(doc)
    return Resource(
        id=resource_id(raw.source_id, raw.native_id),
        source=raw.source_id,
        native_id=raw.native_id,
        url=_url(doc),
        title=title,
        description=_localised(doc, _DESCRIPTION_BASES),
        type=check_type(schema_type(first_text(doc, "schema_s"))),
        published=_published(doc),
        modified=_modified(doc, raw),
        publisher=_publisher(doc),
        subjects=_subjects(doc),
        languages=list(title),
        countries=countries,
        regions=_regions(doc, countries),
        gbf_goals=goals,
        gbf_targets=targets,
        gbf_indicators=indicators,
        symbols=texts_of(doc, "symbol_s")[:1],
        provenance=provenance_of(raw, protocol),
    )
