"""Metadata formats of the provider: oai_dc for every record and the lossless native format gkss."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
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


@dataclass(frozen=True, slots=True)
class Links:
    """Where the hub serves things, from the request: ``hub_url`` ends with a slash."""

    hub_url: str

    def resource(self, record_id: str) -> str:
        """The hub's own URL of a Resource (``GET /api/resources/{id}``)."""
        return f"{self.hub_url}api/resources/{quote(record_id, safe='')}"

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


def _add(
    parent: etree._Element, name: str, value: str | None, lang: str | None = None, *, clean: bool = False
) -> None:
    """A dc element with ``value`` (stripped; dropped when empty); ``clean``: value is known XML-safe."""
    if not value:
        return
    text = (value if clean else xml_text(value)).strip()
    if not text:
        return
    element = etree.SubElement(parent, _DC + name)
    element.text = text
    if lang and lang != "und" and _LANGUAGE_TAG.fullmatch(lang):
        element.set(XML_LANG, lang)


def json_is_xml_safe(text: str) -> bool:
    """True when no string of the JSON document ``text`` can hold a character XML forbids: the text
    has none and no ``\\u`` escape (JSON encoders write control characters only as such escapes)."""
    return "\\u" not in text and is_xml_text(text)


class OaiDc:
    """Simple Dublin Core: titles and descriptions in every language, creators, subjects, publisher,
    date, type, identifiers (the source URL and the hub's resource URL), languages, coverage (ISO
    3166-1 alpha-2 country codes), rights (the licence)."""

    prefix = "oai_dc"
    namespace = OAI_DC_NS

    def schema(self, links: Links) -> str:
        return OAI_DC_SCHEMA

    def metadata(self, resource: Resource, text: str, links: Links) -> etree._Element:
        root = etree.Element(_OAI_DC + "dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS})
        root.set(XSI_LOCATION, f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
        clean = json_is_xml_safe(text)
        for lang, title in resource.title.items():
            _add(root, "title", title, lang, clean=clean)
        for creator in resource.creators:
            _add(root, "creator", creator, clean=clean)
        for subject in resource.subjects:
            _add(root, "subject", subject, clean=clean)
        for lang, description in resource.description.items():
            _add(root, "description", description, lang, clean=clean)
        _add(root, "publisher", resource.publisher, clean=clean)
        _add(root, "date", resource.display_date(), clean=True)
        _add(root, "type", resource.type, clean=clean)
        _add(root, "identifier", resource.url, clean=clean)
        _add(root, "identifier", links.resource(resource.id), clean=clean)
        for language in resource.languages:
            _add(root, "language", language, clean=clean)
        for country in resource.countries:
            _add(root, "coverage", country, clean=clean)
        _add(root, "rights", resource.licence, clean=clean)
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
