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

from hub.oai.envelope import XML_LANG, XSI_LOCATION, XSI_NS, is_xml_text, xml_text
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
_DC_NSMAP = {"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
_DC_LOCATION = f"{OAI_DC_NS} {OAI_DC_SCHEMA}"
_TITLE, _CREATOR, _SUBJECT, _DESCRIPTION, _PUBLISHER, _DATE, _TYPE = (
    _DC + name for name in ("title", "creator", "subject", "description", "publisher", "date", "type")
)
_IDENTIFIER, _LANGUAGE, _COVERAGE, _RIGHTS = (
    _DC + name for name in ("identifier", "language", "coverage", "rights")
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
    """One metadata format: its prefix, namespace and schema, and the metadata root of a Resource."""

    prefix: str
    namespace: str

    def schema(self, links: Links) -> str: ...

    def metadata(self, resource: Resource, text: str, links: Links) -> etree._Element:
        """The root element inside ``<metadata>``; ``text`` is the stored Resource JSON."""
        ...


@cache
def _xml_lang(tag: str) -> str | None:
    """The xml:lang of a Resource language key: the tag itself, or None for ``und`` or a malformed tag."""
    return tag if tag != "und" and _LANGUAGE_TAG.fullmatch(tag) else None


class OaiDc:
    """Simple Dublin Core: titles and descriptions in every language, creators, subjects, publisher,
    date, type, identifiers (the source URL and the hub's resource URL), languages, coverage (ISO
    3166-1 alpha-2 country codes), rights (the licence)."""

    prefix = "oai_dc"
    namespace = OAI_DC_NS

    def schema(self, links: Links) -> str:
        return OAI_DC_SCHEMA

    def metadata(self, resource: Resource, text: str, links: Links) -> etree._Element:
        root = etree.Element(_OAI_DC + "dc", nsmap=_DC_NSMAP)
        root.set(XSI_LOCATION, _DC_LOCATION)
        elements: list[tuple[str, str | None, str | None]] = [
            *((_TITLE, title, _xml_lang(lang)) for lang, title in resource.title.items()),
            *((_CREATOR, creator, None) for creator in resource.creators),
            *((_SUBJECT, subject, None) for subject in resource.subjects),
            *((_DESCRIPTION, body, _xml_lang(lang)) for lang, body in resource.description.items()),
            (_PUBLISHER, resource.publisher, None),
            (_DATE, resource.display_date(), None),
            (_TYPE, resource.type, None),
            (_IDENTIFIER, resource.url, None),
            (_IDENTIFIER, links.resource(resource.id), None),
            *((_LANGUAGE, language, None) for language in resource.languages),
            *((_COVERAGE, country, None) for country in resource.countries),
            (_RIGHTS, resource.licence, None),
        ]
        sub = etree.SubElement
        for tag, value, lang in elements:
            if not value or not (value := value.strip()):
                continue
            element = sub(root, tag)
            try:  # lxml refuses what XML 1.0 cannot carry; checking first would cost more
                element.text = value
            except ValueError:
                if not (value := xml_text(value).strip()):
                    root.remove(element)
                    continue
                element.text = value
            if lang is not None:
                element.set(XML_LANG, lang)
        return root


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

    def schema(self, links: Links) -> str:
        return links.schema(GKSS_SCHEMA_PATH)

    def metadata(self, resource: Resource, text: str, links: Links) -> etree._Element:
        root = etree.Element(_GKSS + "resource", nsmap={"gkss": GKSS_NS, "xsi": XSI_NS})
        root.set(XSI_LOCATION, f"{GKSS_NS} {self.schema(links)}")
        root.set("id", xml_text(resource.id))
        root.set("source", xml_text(resource.source))
        root.set("type", xml_text(resource.type))
        body = etree.SubElement(root, _GKSS + "json", mediaType="application/json")
        try:  # lxml refuses what XML 1.0 cannot carry (rare: only then is the text scanned)
            body.text = text
        except ValueError:
            body.text = lossless_json(text)
        return root


def read_gkss(element: etree._Element) -> Resource:
    """The Resource inside a ``<gkss:resource>`` element (the inverse of ``Gkss.metadata``)."""
    if element.tag != _GKSS + "resource":
        raise ValueError(f"not a gkss:resource element: {element.tag!r}")
    return Resource.model_validate_json(element.findtext(_GKSS + "json") or "")


def gkss_schema() -> bytes:
    """The XML Schema of the gkss format, as the provider serves it."""
    return resources.files("hub.oai").joinpath(GKSS_SCHEMA_FILE).read_bytes()


SERIALIZERS: dict[str, Serializer] = {s.prefix: s for s in (OaiDc(), Gkss())}
