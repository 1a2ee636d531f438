"""``parse_xml`` reuses one hardened parser per thread: the same trees as a fresh parser for every
document, and nothing of one document (its DOCTYPE, its failure) reaches the next."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from lxml import etree

from harvesters.errors import MalformedResponse, UnsafeContent
from harvesters.xml import parse_xml, safe_parser, thread_parser

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DOCUMENTS = sorted(
    path
    for folder in ("oai", "feeds")
    for path in (FIXTURES / folder).rglob("*.xml")
    if b"<!DOCTYPE" not in path.read_bytes()[:65536]  # what parse_xml refuses is tested below
)


def _fresh(content: bytes) -> bytes | None:
    """The document as a parser made for it alone reads it, serialised (None: ill-formed)."""
    try:
        return etree.tostring(etree.fromstring(content, parser=safe_parser()).getroottree())
    except etree.XMLSyntaxError:
        return None


def _reused(content: bytes) -> bytes | None:
    """The document as ``parse_xml`` reads it, serialised (None: refused as ill-formed)."""
    try:
        return etree.tostring(parse_xml(content).getroottree())
    except MalformedResponse:
        return None


def test_the_fixtures_parse_to_the_trees_of_a_fresh_parser_each() -> None:
    assert len(DOCUMENTS) >= 20
    outcomes = []
    for path in DOCUMENTS + DOCUMENTS:  # twice: every document after another one
        content = path.read_bytes()
        outcomes.append(_fresh(content))
        assert _reused(content) == outcomes[-1], path
    assert outcomes.count(None) < len(outcomes) / 4  # most are read, some ill-formed feeds are refused


def _doctype(root: etree._Element) -> str:
    """The DOCTYPE of the document ``root`` was read from ("" when it has none)."""
    doctype: str = getattr(root.getroottree().docinfo, "doctype")  # noqa: B009 (lxml-stubs lack it)
    return doctype


def test_a_failed_document_leaves_the_next_one_as_it_is() -> None:
    good = (FIXTURES / "oai" / "zenodo" / "list_records__06_ListRecords_meta-oai_dc_http200.xml").read_bytes()
    with pytest.raises(MalformedResponse, match="page 1: not well-formed XML"):
        parse_xml(b"<OAI-PMH><record></OAI-PMH>", "page 1")
    assert etree.tostring(parse_xml(good).getroottree()) == _fresh(good)
    with pytest.raises(UnsafeContent, match="page 2: document declares a DTD with entities"):
        parse_xml(b'<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>', "page 2")
    root = parse_xml(b"<!DOCTYPE r><r>one</r>")
    assert _doctype(root) == "<!DOCTYPE r>"
    after = parse_xml(b"<r>two</r>")
    assert after.text == "two"
    assert _doctype(after) == ""  # the former document's DOCTYPE is not carried over
    with pytest.raises(MalformedResponse, match=r"page 3: (empty|not well-formed)"):
        parse_xml(b"", "page 3")
    assert parse_xml(b"<r>three</r>").text == "three"


def test_each_thread_has_its_own_parser() -> None:
    here = thread_parser()
    assert thread_parser() is here
    seen: list[etree.XMLParser] = []
    thread = threading.Thread(target=lambda: seen.append(thread_parser()))
    thread.start()
    thread.join()
    assert len(seen) == 1 and seen[0] is not here
