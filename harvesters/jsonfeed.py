"""JSON Feed 1.0/1.1 documents read into the plain entry dicts the feed harvester stores."""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from harvesters.errors import MalformedResponse
from harvesters.feed_entries import Entry, _converted, _http_url, _list, _note_cut, _text
from harvesters.options import MAX_ENTRIES_LIMIT

JSONFEED_VERSION_PREFIX = "https://jsonfeed.org/version/"


def parse_json_feed(
    body: bytes, url: str, limit: int = MAX_ENTRIES_LIMIT, notes: list[str] | None = None
) -> tuple[Entry, list[Entry]]:
    """Parse a JSON Feed 1.0/1.1 document; relative item URLs resolve against home_page_url, else the URL.
    Only the first ``limit`` items are ever held as Python objects (``_bounded_document``)."""
    try:
        doc, count = _bounded_document(body, limit)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponse(f"{url}: not a feed: invalid JSON: {exc}") from exc
    version = doc.get("version") if isinstance(doc, dict) else None
    if not isinstance(version, str) or not version.startswith(JSONFEED_VERSION_PREFIX):
        raise MalformedResponse(f"{url}: not a feed: JSON without a {JSONFEED_VERSION_PREFIX}... version")
    items = doc.get("items")
    if not isinstance(items, list):
        raise MalformedResponse(f"{url}: JSON Feed has no items array")
    home = _http_url(_text(doc.get("home_page_url")), url)
    base = home or url
    feed: Entry = {
        "title": _text(doc.get("title")),
        "link": home,
        "language": _text(doc.get("language")),
        "format": "json" + version.removeprefix(JSONFEED_VERSION_PREFIX).replace(".", ""),
    }
    feed_authors = _json_authors(doc)
    del doc
    if count > limit:
        _note_cut(count, limit, url, notes if notes is not None else [])
    return feed, _converted(items, lambda item: _json_item(item, base, feed, feed_authors))


_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},]', re.DOTALL)  # strings, brackets, commas
_COLON = re.compile(rb"[ \t\n\r]*:[ \t\n\r]*")


def _bounded_document(body: bytes, limit: int) -> tuple[Any, int]:
    """The JSON document with its top-level ``items`` array cut to the first ``limit`` items, and how
    many items the array had (-1: no such array). The UTF-8 bytes are scanned for the array's items
    (strings skipped whole by one regular expression) and only the kept items are decoded, so a
    document of many items never holds them all as Python objects, nor as one text (json.loads
    would: several times the document's size). Other encodings: json.loads. ValueError when invalid."""
    if json.detect_encoding(body) != "utf-8":
        return json.loads(body), -1
    found = _items_of(body, limit)
    if found is None:
        return json.loads(body), -1
    opening, closing, kept, count = found
    doc = json.loads(body[:opening] + b"[]" + body[closing + 1 :])  # every other member, validated
    if not isinstance(doc, dict):
        raise ValueError("not a JSON object")
    doc["items"] = [json.loads(body[start:end]) for start, end in kept]
    return doc, count


def _items_of(body: bytes, limit: int) -> tuple[int, int, list[tuple[int, int]], int] | None:
    """Where the top-level ``items`` array opens and closes, the byte spans of its first ``limit``
    items and how many it holds; None when the document has no such array."""
    depth, opening, start, count = 0, -1, 0, 0
    wants_items = False
    kept: list[tuple[int, int]] = []
    for token in _TOKEN.finditer(body):
        char = body[token.start()]
        if char == 0x22:  # a string: only a top-level member name matters
            if depth == 1 and opening < 0 and (colon := _COLON.match(body, token.end())):
                wants_items = token.group() == b'"items"' and body[colon.end() : colon.end() + 1] == b"["
        elif char in b"[{":
            depth += 1
            if wants_items and depth == 2:
                opening, start, wants_items = token.start(), token.end(), False
        elif char in b"]}":
            if opening >= 0 and depth == 2:  # the items array closes
                if body[start : token.start()].strip():
                    count += 1
                    if len(kept) < limit:
                        kept.append((start, token.start()))
                return opening, token.start(), kept, count
            depth -= 1
        elif opening >= 0 and depth == 2:  # a comma between two items
            count += 1
            if len(kept) < limit:
                kept.append((start, token.start()))
            start = token.end()
    if opening >= 0:
        raise ValueError("the items array is not closed")
    return None


def _json_item(item: Any, base: str, feed: Entry, feed_authors: list[Entry]) -> Entry:
    if not isinstance(item, dict):
        return {}
    link = _http_url(_text(item.get("url")), base)
    external = _http_url(_text(item.get("external_url")), base)
    links = [{"href": link, "rel": "alternate", "type": "text/html", "title": None}] if link else []
    if external:
        links.append({"href": external, "rel": "related", "type": None, "title": None})
    language = _text(item.get("language")) or feed["language"]
    content = []
    if _text(item.get("content_html")):
        content.append({"value": _text(item["content_html"]), "type": "text/html", "language": language})
    if _text(item.get("content_text")):
        content.append({"value": _text(item["content_text"]), "type": "text/plain", "language": language})
    tags = [t.strip() for t in _list(item.get("tags")) if isinstance(t, str) and t.strip()]
    return {
        "id": _json_id(item.get("id")),
        "title": _text(item.get("title")),
        "title_type": "text/plain",
        "title_language": _text(item.get("language")),
        "link": link,
        "links": links,
        "summary": _text(item.get("summary")),
        "summary_type": "text/plain",
        "summary_language": _text(item.get("language")),
        "content": content,
        "published": _iso_from_text(item.get("date_published")),
        "updated": _iso_from_text(item.get("date_modified")),
        "authors": _json_authors(item) or feed_authors,
        "tags": [{"term": tag, "label": None, "scheme": None} for tag in tags],
        "language": language,
    }


def _json_id(value: Any) -> str | None:
    """JSON Feed ids are strings; numbers seen in the wild are kept as their text."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return _text(str(value))


def _json_authors(obj: Mapping[str, Any]) -> list[Entry]:
    raw = obj.get("authors")
    if not isinstance(raw, list):
        raw = [obj["author"]] if isinstance(obj.get("author"), dict) else []
    return [
        {"name": _text(a.get("name")), "email": None, "href": _text(a.get("url"))}
        for a in raw
        if isinstance(a, dict) and (_text(a.get("name")) or _text(a.get("url")))
    ]


def _iso_from_text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        try:  # RFC 822 dates are common in the wild, though the spec says RFC 3339
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat()  # the moment as written, with its own UTC offset
