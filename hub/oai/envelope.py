"""The OAI-PMH XML envelope: namespaces, datestamps, the response root and byte-level page assembly."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import cast

from lxml import etree

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
OAI = "{" + OAI_NS + "}"
XSI_LOCATION = "{" + XSI_NS + "}schemaLocation"
XML_LANG = "{" + XML_NS + "}lang"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
MEDIA_TYPE = "text/xml; charset=utf-8"


def default_ns(namespace: str, **prefixed: str) -> dict[str, str]:
    """An nsmap with ``namespace`` as the default namespace (lxml's None key, which lxml-stubs omit)."""
    return cast("dict[str, str]", {None: namespace, **prefixed})


OAI_NSMAP = default_ns(OAI_NS)

# Characters XML 1.0 cannot carry (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))  # & first
_ATTRIBUTE_ESCAPES = (('"', "&quot;"), ("\n", "&#10;"), ("\t", "&#9;"))
_MARK = "\u2060gkss-oai-records\u2060"


def datestamp(moment: datetime) -> str:
    """A UTC datetime at the seconds granularity the provider declares: ``YYYY-MM-DDThh:mm:ssZ``."""
    value = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_xml_text(text: str) -> bool:
    """True when every character of ``text`` may appear in an XML 1.0 document."""
    if text.isascii() and text.isprintable():  # U+0020..U+007E only: the common case, checked in C
        return True
    return _NOT_XML.search(text) is None


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


def escape_text(text: str) -> str:
    """``text`` as element content: characters XML 1.0 cannot carry dropped; &, <, > and CR escaped."""
    if not is_xml_text(text):
        text = _NOT_XML.sub("", text)
    return escape_markup(text)


def escape_markup(text: str) -> str:
    """``text`` with &, <, > and CR escaped (the caller knows XML 1.0 can carry every character)."""
    for raw, escaped in _TEXT_ESCAPES:
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def escape_attribute(text: str) -> str:
    """``text`` as a double-quoted attribute value (white space kept as character references)."""
    text = escape_text(text)
    for raw, escaped in _ATTRIBUTE_ESCAPES:
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def response_root(base_url: str, arguments: Mapping[str, str] | None) -> etree._Element:
    """``<OAI-PMH>`` with responseDate and request (attributes only for a valid request)."""
    root = etree.Element(OAI + "OAI-PMH", nsmap=default_ns(OAI_NS, xsi=XSI_NS))
    root.set(XSI_LOCATION, f"{OAI_NS} {OAI_SCHEMA}")
    etree.SubElement(root, OAI + "responseDate").text = datestamp(datetime.now(UTC))
    request = etree.SubElement(root, OAI + "request")
    request.text = base_url
    for key, value in (arguments or {}).items():
        request.set(key, value)
    return root


def to_bytes(root: etree._Element) -> bytes:
    """A whole response document, UTF-8 with its XML declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def fragment(element: etree._Element) -> bytes:
    """One element (a record, a header, a token) as UTF-8 bytes, without an XML declaration."""
    return etree.tostring(element, encoding="UTF-8", xml_declaration=False)


def stream_list(root: etree._Element, verb: str, items: Iterable[bytes]) -> Iterator[bytes]:
    """The response ``root`` with the serialised ``items`` as the children of its ``<verb>`` element.

    The envelope is serialised once around a marker and the items are written between its halves,
    so a page never becomes one large tree.
    """
    container = etree.SubElement(root, OAI + verb)
    container.text = _MARK
    head, _, tail = to_bytes(root).rpartition(_MARK.encode("utf-8"))
    yield head
    yield from items
    yield tail
