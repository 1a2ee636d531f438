"""Metadata formats of the provider: oai_dc for every record and the lossless native format gkss."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Protocol
from urllib.parse import quote

from lxml import etree

from hub.oai.envelope import XSI_NS, escape_attribute, escape_markup, is_xml_text, xml_text
from hub.oai.sets import Classified, SetFields
from normalizers.resource import Resource

OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
GKSS_NS = "https://gkss-hub.cbd.int/ns/resource/1.0"
GKSS_SCHEMA_PATH = "oai/schemas/gkss-resource-1.0.xsd"
GKSS_SCHEMA_FILE = "gkss-resource-1.0.xsd"
_OAI_DC = "{" + OAI_DC_NS + "}"
_DC = "{" + DC_NS + "}"
_GKSS = "{" + GKSS_NS + "}"
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_DC_OPEN = (
    f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" xmlns:xsi="{XSI_NS}"'
    f' xsi:schemaLocation="{OAI_DC_NS} {OAI_DC_SCHEMA}">'
)
_SAFE_ID = re.compile(r"[A-Za-z0-9._~-]+")


@dataclass(frozen=True, slots=True)
class Links:
    """Where the hub serves things, from the request: ``hub_url`` ends with a slash."""

    hub_url: str

    def resource(self, record_id: str) -> str:
        """The hub's own URL of a Resource (``GET /api/resources/{id}``)."""
        safe = record_id if _SAFE_ID.fullmatch(record_id) else quote(record_id, safe="")
        return f"{self.hub_url}api/resources/{safe}"

    def schema(self, path: str) -> str:
        return f"{self.hub_url}{path}"


class Serializer(Protocol):
    """One metadata format: its prefix, namespace and schema, and the metadata of a stored Resource.

    ``render`` writes the element inside ``<metadata>`` as XML text (declaring its namespaces), from
    the stored Resource JSON and, when the caller has it, the Resource or its set fields (``known``);
    ``metadata`` is the same
    as an element.
    """

    prefix: str
    namespace: str
    whole_resource: bool  # render reads every field: the caller passes the parsed Resource as ``known``

    def schema(self, links: Links) -> str: ...

    def render(self, text: str, links: Links, known: Classified | None = None) -> str: ...

    def metadata(self, resource: Resource, text: str, links: Links) -> etree._Element: ...


@cache
def _xml_lang(tag: str) -> str | None:
    """The xml:lang of a Resource language key: the tag itself, or None for ``und`` or a malformed tag."""
    return tag if tag != "und" and _LANGUAGE_TAG.fullmatch(tag) else None


def _parsed(xml: str) -> etree._Element:
    return etree.fromstring(xml.encode("utf-8"))


def _dc_document(elements: list[tuple[str, str | None, str | None]], checked: bool) -> str:
    """``<oai_dc:dc>`` with one element per non-empty value; ``checked`` drops what XML cannot carry."""
    parts = [_DC_OPEN]
    for name, value, lang in elements:
        if not value or not (value := value.strip()):
            continue
        if checked and not is_xml_text(value) and not (value := xml_text(value).strip()):
            continue
        open_tag = f'<dc:{name} xml:lang="{lang}">' if lang is not None else f"<dc:{name}>"
        parts += (open_tag, escape_markup(value), f"</dc:{name}>")
    parts.append("</oai_dc:dc>")
    return "".join(parts)


class OaiDc:
    """Simple Dublin Core: titles and descriptions in every language, creators, subjects, publisher,
    date, type, identifiers (the source URL and the hub's resource URL), languages, coverage (ISO
    3166-1 alpha-2 country codes), rights (the licence)."""

    prefix = "oai_dc"
    namespace = OAI_DC_NS
    whole_resource = True

    def schema(self, links: Links) -> str:
        return OAI_DC_SCHEMA

    def render(self, text: str, links: Links, known: Classified | None = None) -> str:
        resource = known if isinstance(known, Resource) else Resource.model_validate_json(text)
        elements: list[tuple[str, str | None, str | None]] = [
            *(("title", title, _xml_lang(lang)) for lang, title in resource.title.items()),
            *(("creator", creator, None) for creator in resource.creators),
            *(("subject", subject, None) for subject in resource.subjects),
            *(("description", body, _xml_lang(lang)) for lang, body in resource.description.items()),
            ("publisher", resource.publisher, None),
            ("date", resource.display_date(), None),
            ("type", resource.type, None),
            ("identifier", resource.url, None),
            ("identifier", links.resource(resource.id), None),
            *(("language", language, None) for language in resource.languages),
            *(("coverage", country, None) for country in resource.countries),
            ("rights", resource.licence, None),
        ]
        written = _dc_document(elements, checked=False)
        # One scan of the result instead of one per value; values XML cannot carry are rare.
        return written if is_xml_text(written) else _dc_document(elements, checked=True)

    def metadata(self, resource: Resource, text: str, links: Links) -> etree._Element:
        return _parsed(self.render(text, links))


def lossless_json(text: str) -> str:
    """The Resource JSON as XML can carry it: unchanged, or re-encoded with \\u escapes when it holds
    characters XML 1.0 forbids (both parse to the same document)."""
    if is_xml_text(text):
        return text
    return json.dumps(json.loads(text), ensure_ascii=True, separators=(",", ":"))


class Gkss:
    """The native format: ``<gkss:resource id source type><gkss:json>Resource JSON</gkss:json>``,
    lossless (``Resource.model_validate_json`` of the json text gives the stored Resource back)."""

    prefix = "gkss"
    namespace = GKSS_NS
    whole_resource = False

    def schema(self, links: Links) -> str:
        return links.schema(GKSS_SCHEMA_PATH)

    def render(self, text: str, links: Links, known: Classified | None = None) -> str:
        known = known if known is not None else SetFields.model_validate_json(text)
        location = escape_attribute(f"{GKSS_NS} {self.schema(links)}")
        return (
            f'<gkss:resource xmlns:gkss="{GKSS_NS}" xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{location}"'
            f' id="{escape_attribute(known.id)}" source="{escape_attribute(known.source)}"'
            f' type="{escape_attribute(known.type)}"><gkss:json mediaType="application/json">'
            f"{escape_markup(lossless_json(text))}</gkss:json></gkss:resource>"
        )

    def metadata(self, resource: Resource, text: str, links: Links) -> etree._Element:
        return _parsed(self.render(text, links))


def read_gkss(element: etree._Element) -> Resource:
    """The Resource inside a ``<gkss:resource>`` element (the inverse of ``Gkss.metadata``)."""
    if element.tag != _GKSS + "resource":
        raise ValueError(f"not a gkss:resource element: {element.tag!r}")
    return Resource.model_validate_json(element.findtext(_GKSS + "json") or "")


def gkss_schema() -> bytes:
    """The XML Schema of the gkss format, as the provider serves it."""
    return resources.files("hub.oai").joinpath(GKSS_SCHEMA_FILE).read_bytes()


SERIALIZERS: dict[str, Serializer] = {s.prefix: s for s in (OaiDc(), Gkss())}
