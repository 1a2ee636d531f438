"""Feed harvesting: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 via feedparser, JSON Feed 1.0/1.1 by hand."""

from __future__ import annotations

import email.utils
import functools
import hashlib
import io
import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import httpx
from pydantic import Field, StrictInt

from harvesters.base import HarvestItem, HarvestState, SourceOptions, SourceSpec
from harvesters.errors import ConfigurationError, MalformedResponse, UnsafeContent
from harvesters.feed_entries import Entry, _converted, _cut, _dicts, _note_cut, _text
from harvesters.http import FetchedResponse, HttpPolicy, fetch, make_client, raise_for_status
from harvesters.jsonfeed import parse_json_feed
from harvesters.options import MAX_ENTRIES, MAX_ENTRIES_LIMIT
from harvesters.records import RawRecord, RecordFailure
from harvesters.robots import ROBOTS
from harvesters.xml import declares_entities_in_doctype

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-feed-entry+json"
ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1"
)
_JSON_TYPES = frozenset({"application/json", "application/feed+json", "text/json"})
_PASSED_HEADERS = ("content-type", "content-language", "etag", "last-modified")
# RSS 2.0 <author>: "email (Name)"; feedparser's own split truncates long TLDs (".industries").
_RSS_AUTHOR = re.compile(r"^\s*([^\s()<>@]+@[^\s()<>@]+)\s*(?:\(([^()]+)\))?\s*$")


class FeedOptions(SourceOptions):
    """The options of a ``feed`` source."""

    max_entries: StrictInt = Field(default=MAX_ENTRIES, ge=1, le=MAX_ENTRIES_LIMIT)
    """The most entries kept from one feed document (the rest are noted on the run)."""


class FeedHarvester:
    """Harvests one RSS, Atom or JSON Feed document; each entry becomes a RawRecord of JSON."""

    def __init__(
        self, spec: SourceSpec[FeedOptions], policy: HttpPolicy, client: httpx.Client | None = None
    ) -> None:
        self.spec = spec
        self.policy = policy
        self._client = client

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        """Fetch the feed (conditionally) and yield one RawRecord or RecordFailure per entry."""
        state.not_modified = False
        response = self._fetch(state)
        if response.status == 304:
            state.not_modified = True
            state.etag = response.headers.get("etag") or state.etag
            state.last_modified = response.headers.get("last-modified") or state.last_modified
            return
        raise_for_status(response)
        limit = self.spec.options.max_entries
        feed, entries = parse_feed(response, state.notes, limit)
        state.etag = response.headers.get("etag") or None
        state.last_modified = response.headers.get("last-modified") or None
        del response  # the body (up to the response cap) is not kept while the entries are stored
        entries.reverse()  # popped from the end: each entry is freed once its record is made
        index = 0
        while entries:
            yield self._record(index, entries.pop(), feed)
            index += 1

    def _fetch(self, state: HarvestState) -> FetchedResponse:
        scheme = urlsplit(self.spec.url).scheme.lower()
        if scheme not in ("http", "https"):
            raise ConfigurationError(f"{self.spec.id}: feed URL must be http(s), got {self.spec.url!r}")
        headers = {"Accept": ACCEPT}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        client = self._client or make_client(self.policy)
        try:
            ROBOTS.check(client, self.policy, self.spec.url)
            return fetch(
                client, self.policy, self.spec.url, headers=headers, on_response=state.count_response
            )
        finally:
            if self._client is None:
                client.close()

    def _record(self, index: int, entry: Entry, feed: Entry) -> HarvestItem:
        native_id = entry_native_id(entry)
        if native_id is None:
            return RecordFailure(self.spec.id, None, f"entry #{index + 1} has no id, link or title")
        entry["feed"] = feed
        datestamp = _parse_iso(entry.get("updated")) or _parse_iso(entry.get("published"))
        return RawRecord(self.spec.id, native_id, CONTENT_TYPE, _dump(entry), datestamp)


def entry_native_id(entry: Mapping[str, Any]) -> str | None:
    """The entry's id, else its link, else a stable digest of title and summary; None when all are missing."""
    for key in ("id", "link"):
        value = entry.get(key)
        if value:
            return str(value)
    title = entry.get("title") or ""
    if not title:
        return None
    summary = entry.get("summary") or ""
    digest = hashlib.sha256(f"{title}\n{summary}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest}"


def parse_feed(
    response: FetchedResponse, notes: list[str], limit: int = MAX_ENTRIES_LIMIT
) -> tuple[Entry, list[Entry]]:
    """The feed-level fields and the plain entry dicts of a fetched feed document: the first ``limit``
    entries in document order, with a note in ``notes`` when the feed had more."""
    body = response.content
    if not body.strip():
        raise MalformedResponse(f"{response.url}: empty body, not a feed")
    if _is_json(response.content_type, body):
        return parse_json_feed(body, response.url, limit, notes)
    return parse_xml_feed(response, notes, limit)


def _is_json(content_type: str, body: bytes) -> bool:
    first = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    media_type = content_type.split(";", 1)[0].strip().lower()
    is_json_type = media_type in _JSON_TYPES or media_type.endswith("+json")
    return first == b"{" or (is_json_type and first != b"<")


# --- RSS and Atom through feedparser -------------------------------------------------------------


def parse_xml_feed(
    response: FetchedResponse, notes: list[str], limit: int = MAX_ENTRIES_LIMIT
) -> tuple[Entry, list[Entry]]:
    """Parse RSS/Atom with feedparser, resolving relative links against the final URL.

    A document of more than ``CHUNK`` entries is read ``CHUNK`` entries at a time (the document's
    head and tail around each slice of entries, the same bytes), so that feedparser's objects for
    a 50 MB feed never exist all at once; only the first ``limit`` entries are read."""
    if declares_entities_in_doctype(response.content):
        raise UnsafeContent(f"{response.url}: feed declares entities in its DTD; refused")
    headers = {name: response.headers[name] for name in _PASSED_HEADERS if name in response.headers}
    headers["content-location"] = response.url
    count, documents = _slices(response.content, limit)
    if documents is None:
        documents = iter([response.content])
    elif count > limit:
        _note_cut(count, limit, response.url, notes)
    feed: Entry | None = None
    feed_authors: list[Entry] = []
    entries: list[Entry] = []
    for document in documents:
        # A stream, never bytes: feedparser treats strings as URLs or file names.
        parsed = feedparser.parse(io.BytesIO(document), response_headers=headers)
        raw_feed = parsed.get("feed") or {}
        raw_entries = parsed.get("entries") or []
        if feed is None:
            version = parsed.get("version") or ""
            has_title = bool(_text(raw_feed.get("title")))
            if not raw_entries and not has_title and (parsed.get("bozo") or not version):
                problem = f" ({parsed.get('bozo_exception')})" if parsed.get("bozo") else ""
                raise MalformedResponse(
                    f"{response.url}: not a feed: no entries and no feed title found{problem}"
                )
            feed = _feed_fields(raw_feed, version)
            feed_authors = _authors(raw_feed.get("authors"))
        if parsed.get("bozo"):
            problem = parsed.get("bozo_exception")
            note = f"{response.url}: feed read leniently ({problem}); {len(raw_entries)} entries"
            notes.append(note)
            logger.info(note)
        del parsed
        _cut(raw_entries, limit - len(entries), response.url, notes if count <= CHUNK else [])
        entries.extend(
            _converted(raw_entries, functools.partial(_entry_fields, feed=feed, feed_authors=feed_authors))
        )
    assert feed is not None
    return feed, entries


CHUNK = 1000  # entries feedparser reads at once from a large feed document
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")


def _slices(body: bytes, limit: int) -> tuple[int, Iterator[bytes] | None]:
    """The entries an RSS/Atom document has by its closing tags, and its first ``limit`` entries as
    documents of at most ``CHUNK`` entries each (head + entries + tail); None for a document of at
    most ``CHUNK`` entries or whose entry tags are not plain ASCII (UTF-16, ...): read whole."""
    ends = [match.end() for match in _ENTRY_END.finditer(body)]
    first = _ENTRY_START.search(body)
    if len(ends) <= CHUNK or first is None or first.start() >= ends[0]:
        return len(ends), None
    kept = ends[:limit]
    start, head_end, tail_start = first.start(), first.start(), ends[-1]

    def documents() -> Iterator[bytes]:
        begin = start
        for position in range(0, len(kept), CHUNK):
            stop = kept[min(position + CHUNK, len(kept)) - 1]
            yield body[:head_end] + body[begin:stop] + body[tail_start:]
            begin = stop

    return len(ends), documents()


def _feed_fields(raw_feed: Mapping[str, Any], version: str) -> Entry:
    title_detail = raw_feed.get("title_detail") or {}
    language = _text(raw_feed.get("language")) or _text(title_detail.get("language"))
    return {
        "title": _text(raw_feed.get("title")),
        "link": _text(raw_feed.get("link")),
        "language": language,
        "format": version or None,
    }


def _entry_fields(item: Mapping[str, Any], feed: Entry, feed_authors: list[Entry]) -> Entry:
    title_detail = item.get("title_detail") or {}
    summary_detail = item.get("summary_detail") or {}
    content = [
        {"value": _text(c.get("value")), "type": _text(c.get("type")), "language": _text(c.get("language"))}
        for c in _dicts(item.get("content"))
        if _text(c.get("value"))
    ]
    language = (
        _text(item.get("language"))
        or _text(title_detail.get("language"))
        or _text(summary_detail.get("language"))
        or next((c["language"] for c in content if c["language"]), None)
        or feed["language"]
    )
    return {
        "id": _text(item.get("id")),
        "title": _text(item.get("title")),
        "title_type": _text(title_detail.get("type")),
        "title_language": _text(title_detail.get("language")),
        "link": _text(item.get("link")),
        "links": [
            {key: _text(link.get(key)) for key in ("href", "rel", "type", "title")}
            for link in _dicts(item.get("links"))
            if _text(link.get("href"))
        ],
        "summary": _text(item.get("summary")),
        "summary_type": _text(summary_detail.get("type")),
        "summary_language": _text(summary_detail.get("language")),
        "content": content,
        "published": _kept_zone(item.get("published"), _iso_from_struct(item.get("published_parsed"))),
        # dict.get: FeedParserDict.get("updated_parsed") falls back to published_parsed (with a warning).
        "updated": _kept_zone(
            dict.get(item, "updated") if isinstance(item, dict) else None,
            _iso_from_struct(dict.get(item, "updated_parsed") if isinstance(item, dict) else None),
        ),
        "authors": _entry_authors(item) or feed_authors,
        "tags": [
            {key: _text(tag.get(key)) for key in ("term", "label", "scheme")}
            for tag in _dicts(item.get("tags"))
            if _text(tag.get("term")) or _text(tag.get("label"))
        ],
        "language": language,
    }


def _entry_authors(item: Mapping[str, Any]) -> list[Entry]:
    authors = _authors(item.get("authors"))
    match = _RSS_AUTHOR.match(_text(item.get("author")) or "") if len(authors) <= 1 else None
    if match is None:
        return authors
    return [{"name": _text(match.group(2)), "email": match.group(1), "href": None}]


def _kept_zone(text: Any, utc: str | None) -> str | None:
    """The moment ``utc`` (feedparser's reading, in UTC) as the feed wrote it, with its own UTC
    offset, when the feed's text (RFC 3339 or RFC 822) names the same moment; else ``utc``."""
    if utc is None or not isinstance(text, str):
        return utc
    written = _aware(text)
    return written.isoformat() if written is not None and written == datetime.fromisoformat(utc) else utc


def _aware(text: str) -> datetime | None:
    """A date-time with its UTC offset read from RFC 3339 or RFC 822 text; None without an offset."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return parsed if parsed.tzinfo is not None else None


def _iso_from_struct(value: Any) -> str | None:
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC).isoformat()
    except (ValueError, OverflowError):
        return None


# --- helpers -------------------------------------------------------------------------------------


def _authors(raw: Any) -> list[Entry]:
    return [
        {key: _text(a.get(key)) for key in ("name", "email", "href")}
        for a in _dicts(raw)
        if _text(a.get("name")) or _text(a.get("email"))
    ]


def _parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def _dump(entry: Entry) -> bytes:
    try:
        return json.dumps(entry, sort_keys=True, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (e.g. from JSON escapes): keep them escaped
        return json.dumps(entry, sort_keys=True).encode("ascii")
