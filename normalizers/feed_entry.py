"""Crosswalk from a harvested feed entry (application/x-feed-entry+json) to a Resource."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lxml_html

from harvesters.records import RawRecord
from normalizers.errors import SkipRecord
from normalizers.payload import json_object
from normalizers.resource import Resource, provenance_of, resource_id
from normalizers.vocabularies.languages import normalize_language

CONTENT_TYPE = "application/x-feed-entry+json"
_EVENT_WORDS = frozenset({"event", "events", "evento", "eventos", "événement", "événements", "evenement"})
_BREAK = "\ue000"  # a private-use character marking block boundaries while whitespace is collapsed
_BLOCK_TAGS = (
    "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
    "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "td",
    "th", "tr", "ul",
)  # fmt: skip


def normalize_feed_entry(raw: RawRecord, protocol: str = "feed") -> Resource:
    """Map one feed entry's JSON payload onto the common schema."""
    entry = json_object(raw)  # SkipRecord for a deletion
    feed_value = entry.get("feed")
    feed: dict[str, Any] = feed_value if isinstance(feed_value, dict) else {}
    title = " ".join(_clean(_str(entry.get("title")), _str(entry.get("title_type"))).split())
    url = http_url(_str(entry.get("link")))
    if not title and not url:
        raise SkipRecord(f"{raw.native_id}: entry has neither a title nor an http(s) link")
    language = normalize_language(_str(entry.get("language")) or _str(feed.get("language")))
    title_language = normalize_language(_str(entry.get("title_language")))
    if title_language == "und":
        title_language = language
    published = _datetime(entry.get("published"))
    updated = _datetime(entry.get("updated"))
    return Resource(
        id=resource_id(raw.source_id, raw.native_id),
        source=raw.source_id,
        native_id=raw.native_id,
        url=url,
        title={title_language: title} if title else {},
        description=_description(entry, language),
        type=_type(entry),
        published=published.date() if published else None,
        published_at=published,
        modified=updated or published,
        creators=_unique(_author_name(a) for a in _dicts(entry.get("authors"))),
        publisher=_str(feed.get("title")),
        subjects=_unique(_str(t.get("label")) or _str(t.get("term")) for t in _dicts(entry.get("tags"))),
        languages=[language] if language != "und" else [],
        provenance=provenance_of(raw, protocol),
    )


def html_to_text(markup: str) -> str:
    """The readable text of an HTML fragment: tags, comments, scripts, styles dropped; a line per block."""
    if not markup.strip():
        return ""
    parser = lxml_html.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = lxml_html.fragment_fromstring(
            markup.encode("utf-8", "replace"), create_parent="div", parser=parser
        )
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return ""
    for element in list(root.iter("script", "style", "template", "noscript")):
        element.drop_tree()
    for element in root.iter(*_BLOCK_TAGS):
        element.tail = _BREAK + (element.tail or "")
    pieces = (" ".join(piece.split()) for piece in root.text_content().split(_BREAK))
    return "\n".join(piece for piece in pieces if piece)


def http_url(value: str | None) -> str | None:
    """``value`` when it is an absolute http(s) URL with a host, else None."""
    if not value:
        return None
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return value.strip()


def _description(entry: dict[str, Any], language: str) -> dict[str, str]:
    contents = [
        (_str(c.get("value")), _str(c.get("type")), _str(c.get("language")))
        for c in _dicts(entry.get("content"))
    ]
    summary, summary_type = _str(entry.get("summary")), _str(entry.get("summary_type"))
    if summary is not None and summary_type is None:
        # An Atom entry with only <content>: feedparser copies the content into the summary without
        # its type (HTML markup read as text otherwise).
        summary_type = next((kind for value, kind, _ in contents if value == summary and kind), None)
    candidates = [(summary, summary_type, _str(entry.get("summary_language"))), *contents]
    for value, kind, lang in candidates:
        text = _clean(value, kind)
        if text:
            return {normalize_language(lang) if lang else language: text}
    return {}


def _clean(value: str | None, kind: str | None) -> str:
    """Plain text from a feed text construct: HTML types are converted, text is whitespace-normalised."""
    if not value:
        return ""
    if kind and ("html" in kind.lower()):
        return html_to_text(value)
    return _squash(value)


def _squash(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _type(entry: dict[str, Any]) -> str:
    for tag in _dicts(entry.get("tags")):
        for key in ("term", "label"):
            word = (_str(tag.get(key)) or "").lower()
            if word in _EVENT_WORDS or word.rsplit("/", 1)[-1] in _EVENT_WORDS:
                return "event"
    return "news"


def _author_name(author: dict[str, Any]) -> str | None:
    return _str(author.get("name")) or _str(author.get("email"))


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _unique(values: Any) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return list(seen)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None
