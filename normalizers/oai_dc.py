"""Crosswalk from an OAI-PMH ``<record>`` carrying ``oai_dc`` metadata to the common Resource schema."""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, date, datetime
from functools import cache

from lxml import etree

from harvesters.errors import HarvestError
from harvesters.records import RawRecord
from harvesters.xml import parse_xml
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.resource import Resource, provenance_of, resource_id
from normalizers.vocabularies.languages import normalize_language
from normalizers.vocabularies.resource_types import map_type

logger = logging.getLogger(__name__)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_TAG = re.compile(r"<[^<>]{1,200}>")
_DOI = re.compile(r"^(?:doi:|info:doi/)\s*(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/10\.", re.IGNORECASE)
_HANDLE_URL = re.compile(r"^https?://hdl\.handle\.net/", re.IGNORECASE)
_HANDLE = re.compile(r"^hdl:\s*(\S+/\S+)$", re.IGNORECASE)
_ACCESS_RIGHTS = "info:eu-repo/semantics/"
# An "&" that starts anything but the five entities escaped HTML is made of (Zenodo's descriptions):
# only then does html.unescape run; otherwise str.replace does the same in C, "&amp;" last so that
# one round never unescapes what another made (html.unescape is one left-to-right pass too).
_OTHER_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#39);)")
_COMMON_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&amp;", "&"))


def _clean(text: str | None) -> str:
    """Text with runs of white space collapsed."""
    return " ".join((text or "").split())


def _unescape(value: str) -> str:
    """``html.unescape(value)``, without its per-entity Python callback for the five common entities."""
    if _OTHER_ENTITY.search(value):
        return html.unescape(value)
    for entity, char in _COMMON_ENTITIES:
        value = value.replace(entity, char)
    return value


def _plain(text: str | None) -> str:
    """Display text: entity-escaped HTML (as Zenodo sends it) unescaped and stripped of tags."""
    value = text or ""
    for _ in range(2):
        if "&" not in value:
            break
        value = _unescape(value)
    return _clean(_TAG.sub(" ", value) if "<" in value else value)


def parse_dc_date(text: str | None) -> date | None:
    """``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or an ISO timestamp as a date; None when unreadable."""
    value = (text or "").strip()
    match = _DATE.match(value)
    try:
        if match:
            year, month, day = match.groups()
            return date(int(year), int(month or 1), int(day or 1))
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.date()


def parse_dc_moment(text: str | None) -> datetime | None:
    """An ISO timestamp with its UTC offset (``Z`` or ``+hh:mm``) as written; None for a date
    alone, a time without a zone, or unreadable text."""
    value = (text or "").strip()
    if _DATE.match(value):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _datestamp(text: str | None) -> datetime | None:
    value = (text or "").strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@cache
def _country_index() -> tuple[dict[str, str], dict[str, str]]:
    """Country names (case-folded) and ISO codes (exact, upper case) to alpha-2, from pycountry."""
    try:
        import pycountry
    except ImportError:  # pragma: no cover - pycountry is a dependency; without it no countries are read
        logger.warning("pycountry is not installed; dc:coverage is not mapped to countries")
        return {}, {}
    names: dict[str, str] = {}
    codes: dict[str, str] = {}
    for country in pycountry.countries:
        alpha_2 = str(country.alpha_2)
        codes[alpha_2] = alpha_2
        codes[str(country.alpha_3)] = alpha_2
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                names[str(value).casefold()] = alpha_2
    return names, codes


def country_code(text: str) -> str | None:
    """The ISO alpha-2 code of a country named exactly (name, official or common name, alpha-2/3 code)."""
    names, codes = _country_index()
    value = _clean(text)
    return codes.get(value) or names.get(value.casefold())


def _countries(values: list[str]) -> list[str]:
    found: list[str] = []
    for value in values:
        whole = country_code(value)
        codes = [whole] if whole else [country_code(part) for part in re.split(r"[;|/]", value)]
        for code in codes:
            if code and code not in found:
                found.append(code)
    return found


def _url(identifiers: list[str]) -> str | None:
    """The best link among dc:identifier values: a DOI, then a handle, then any http(s) URL."""
    urls: list[str] = []
    for value in identifiers:
        if doi := _DOI.match(value):
            urls.append(f"https://doi.org/{doi.group(1)}")
        elif handle := _HANDLE.match(value):
            urls.append(f"https://hdl.handle.net/{handle.group(1)}")
        elif value.lower().startswith(("http://", "https://")) and " " not in value:
            urls.append(value)
    for pattern in (_DOI_URL, _HANDLE_URL):
        for url in urls:
            if pattern.match(url):
                return url
    return urls[0] if urls else None


def _licence(rights: list[str]) -> str | None:
    """A licence URL when one is given, else the first statement that is not an access-rights term."""
    for value in rights:
        if value.lower().startswith(("http://", "https://")) and " " not in value:
            return value
    return next((value for value in rights if not value.startswith(_ACCESS_RIGHTS)), None)


def _by_language(elements: list[etree._Element], default: str, plain: bool) -> dict[str, str]:
    """Texts keyed by language (xml:lang, else ``default``); several in one language are joined."""
    out: dict[str, str] = {}
    for element in elements:
        text = _plain(element.text) if plain else _clean(element.text)
        if not text:
            continue
        lang = element.get(XML_LANG)
        key = normalize_language(lang) if lang else default
        if key not in out:
            out[key] = text
        elif plain and text not in out[key]:
            out[key] = f"{out[key]}\n\n{text}"
    return out


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _child(parent: etree._Element, tag: str) -> etree._Element | None:
    """The first child with this tag: ``parent.find(tag)`` without the ElementPath machinery."""
    return next(parent.iterchildren(tag), None)


def _metadata_root(raw: RawRecord) -> tuple[etree._Element, etree._Element | None]:
    """The oai_dc root element and the record header (None when the payload is a bare ``dc``)."""
    root = raw.element
    if root is None:
        try:
            root = parse_xml(raw.payload, f"{raw.source_id} record {raw.native_id}")
        except HarvestError as exc:
            raise InvalidRecord(str(exc)) from exc
    if root.tag != OAI + "record":
        return root, None
    header = _child(root, OAI + "header")
    if raw.deleted or (header is not None and header.get("status") == "deleted"):
        raise SkipRecord(f"{raw.native_id}: deleted record")
    metadata = _child(root, OAI + "metadata")
    if metadata is None or len(metadata) == 0:
        raise InvalidRecord(f"{raw.native_id}: OAI-PMH record without metadata")
    return metadata[0], header


def normalize_oai_dc(raw: RawRecord, protocol: str = "oai-pmh") -> Resource:
    """Map one oai_dc record onto a Resource; SkipRecord for deletions, InvalidRecord when unreadable."""
    if raw.deleted:
        raise SkipRecord(f"{raw.native_id}: deleted record")
    dc, header = _metadata_root(raw)
    # One pass over the children, grouped by tag in document order (what iterchildren(tag) yields);
    # the cleaned texts of each element name are made once (callers only read the lists).
    elements: dict[object, list[etree._Element]] = {}
    for child in dc:
        elements.setdefault(child.tag, []).append(child)
    cleaned: dict[str, list[str]] = {}

    def texts(name: str) -> list[str]:
        found = cleaned.get(name)
        if found is None:
            found = cleaned[name] = [t for e in elements.get(DC + name, ()) if (t := _clean(e.text))]
        return found

    titles = elements.get(DC + "title", [])
    identifiers = texts("identifier")
    if not any(_clean(t.text) for t in titles) and not identifiers:
        raise InvalidRecord(f"{raw.native_id}: oai_dc record with neither dc:title nor dc:identifier")
    languages = _unique([normalize_language(v) for v in texts("language")])
    languages = [lang for lang in languages if lang != "und"]
    first_language = normalize_language(next(iter(texts("language")), None))
    dated = next((v for v in texts("date") if parse_dc_date(v) is not None), None)
    published = parse_dc_date(dated)
    if header is not None:
        stamp = _child(header, OAI + "datestamp")
        modified = _datestamp(stamp.text if stamp is not None else None)
    else:
        modified = raw.datestamp
    return Resource(
        id=resource_id(raw.source_id, raw.native_id),
        source=raw.source_id,
        native_id=raw.native_id,
        url=_url(identifiers),
        title=_by_language(titles, first_language, plain=False),
        description=_by_language(elements.get(DC + "description", []), first_language, plain=True),
        type=map_type(texts("type")),
        published=published,
        published_at=parse_dc_moment(dated),
        modified=modified or raw.datestamp,
        creators=_unique(texts("creator")),
        publisher=next(iter(texts("publisher")), None),
        subjects=_unique(texts("subject")),
        languages=languages,
        countries=_countries(texts("coverage")),
        licence=_licence(texts("rights")),
        provenance=provenance_of(raw, protocol),
    )
