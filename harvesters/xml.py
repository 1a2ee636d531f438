"""A hardened lxml parser for untrusted XML: no DTD loading, no entities, no network, strict."""

from __future__ import annotations

from lxml import etree

from harvesters.errors import MalformedResponse, UnsafeContent


def safe_parser() -> etree.XMLParser:
    """A strict parser that refuses network access and never expands entities."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        recover=False,
        remove_blank_text=False,
    )


def parse_xml(content: bytes, where: str = "response") -> etree._Element:
    """Parse untrusted bytes; ill-formed XML or any DOCTYPE with entities is refused with a clear error."""
    head = content[:4096].lstrip()
    if b"<!ENTITY" in content[:65536] or (
        b"<!DOCTYPE" in head and b"[" in head.split(b"<!DOCTYPE", 1)[1][:2048]
    ):
        raise UnsafeContent(f"{where}: document declares a DTD with entities; refused")
    try:
        root = etree.fromstring(content, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedResponse(f"{where}: not well-formed XML: {exc}") from exc
    if root is None:
        raise MalformedResponse(f"{where}: empty XML document")
    return root
