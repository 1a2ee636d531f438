"""Feeds of the hub's records: Atom 1.0, RSS 2.0 and JSON Feed 1.1 over the search filters, newest first.

Every feed takes the filters of ``/api/search`` and is sorted by date; pages link to each other
(RFC 5005 ``first``/``previous``/``next``/``last`` in Atom and RSS, ``next_url`` in JSON Feed). Page 1
of the Atom feed also lists the most recent tombstones as RFC 6721 ``at:deleted-entry``. Harvested
text is plain text everywhere (XML built with lxml, escaped; never HTML). Responses carry an ETag (a
digest of the body) and Last-Modified (the hub's newest change to a record of the filtered sources,
deletions included); conditional requests are answered 304.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.utils import format_datetime
from urllib.parse import quote, urlsplit

from lxml import etree

from hub.oai.envelope import default_ns
from normalizers.resource import Resource
from normalizers.search_query import FILTERS
from normalizers.vocabularies.languages import UN_LANGUAGES

ATOM_NS = "http://www.w3.org/2005/Atom"
TOMBSTONE_NS = "http://purl.org/atompub/tombstones/1.0"
DC_NS = "http://purl.org/dc/elements/1.1/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM = "{" + ATOM_NS + "}"
AT = "{" + TOMBSTONE_NS + "}"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
TYPE_SCHEME = "https://gkss-hub.cbd.int/ns/resource-type"
TARGET_SCHEME = "https://gkss-hub.cbd.int/ns/gbf-target"
SOURCE_SCHEME = "https://gkss-hub.cbd.int/ns/source"
TAG_DATE = "2024"  # the dating of the hub's tag: URIs; never changes, or every id would
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# What names a feed (its id): its text, node and declared filters, as the URL gave them.
FEED_ID_PARAMS = frozenset({"q", "node", *(f.param for f in FILTERS)})
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

ATOM_MEDIA = "application/atom+xml; charset=utf-8"
RSS_MEDIA = "application/rss+xml; charset=utf-8"
JSON_MEDIA = "application/feed+json; charset=utf-8"


# -- what goes into a feed ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tombstone:
    """A deleted record: its id and when the hub learned of the deletion."""

    id: str
    source: str
    when: datetime


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of a feed: the entries, the tombstones (Atom page 1) and the links between pages."""

    resources: list[Resource]
    tombstones: list[Tombstone]
    total: int
    page: int
    size: int
    self_url: str
    base_url: str
    feed_id: str
    links: dict[str, str]

    changed: datetime

    @property
    def updated(self) -> datetime:
        """The feed's Last-Modified (whole seconds): the hub's newest change to a record (tombstones
        included) of the sources filtered on, or of all sources; never earlier than any entry's change,
        so If-Modified-Since is never answered 304 after an addition, change or deletion."""
        return self.changed.replace(microsecond=0)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def entry_updated(resource: Resource) -> datetime:
    """When the entry last changed: modified, else harvested, else published, else the epoch."""
    for value in (resource.modified, resource.harvested):
        if value is not None:
            return aware(value).astimezone(UTC)
    return _midnight(resource.published) if resource.published else EPOCH


def entry_published(resource: Resource) -> datetime | None:
    """When the entry was published: the moment with its own UTC offset where the source gave one,
    else midnight UTC of the publication date."""
    if resource.published_at is not None:
        return aware(resource.published_at)
    return _midnight(resource.published) if resource.published else None


def rfc3339(moment: datetime, *, keep_offset: bool = False) -> str:
    """RFC 3339 to the second: in UTC (``Z``), or with the moment's own UTC offset (``keep_offset``)."""
    moment = aware(moment).replace(microsecond=0)
    if keep_offset and moment.utcoffset():
        return moment.isoformat()
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def tag_uri(authority: str, kind: str, value: str) -> str:
    """A stable RFC 4151 tag: URI such as ``tag:gkss-hub.cbd.int,2024:resource:<id>``."""
    return f"tag:{authority},{TAG_DATE}:{kind}:{value}"


def title_of(resource: Resource) -> tuple[str, str | None]:
    """The display title and its language (None when the title is the URL or native id)."""
    for lang in ("en", *UN_LANGUAGES, "und"):
        if resource.title.get(lang):
            return resource.title[lang], lang
    for lang, text in resource.title.items():
        return text, lang
    return resource.url or resource.native_id, None


def description_of(resource: Resource) -> tuple[str, str | None] | None:
    for lang in ("en", *UN_LANGUAGES, "und"):
        if resource.description.get(lang):
            return resource.description[lang], lang
    for lang, text in resource.description.items():
        if text:
            return text, lang
    return None


def link_of(resource: Resource, base_url: str) -> str:
    """The resource's own http(s) URL, else its record in the hub's API (never javascript: or data:)."""
    url = (resource.url or "").strip()
    if urlsplit(url).scheme.lower() in ("http", "https") and not _NOT_XML.search(url):
        return url
    return api_url(resource.id, base_url)


def api_url(rid: str, base_url: str) -> str:
    return f"{base_url}api/resources/{quote(rid, safe='')}"


def _xml_lang(lang: str | None) -> str | None:
    return None if lang in (None, "und") else lang


# -- Atom 1.0 (RFC 4287) --------------------------------------------------------------------------


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _link(parent: etree._Element, rel: str, href: str, media: str | None = None) -> None:
    attrs = {"rel": rel, "href": href}
    if media:
        attrs["type"] = media
    etree.SubElement(parent, ATOM + "link", attrs)


def _clean(text: str) -> str:
    """Text XML 1.0 can carry: C0 controls but tab/LF/CR, surrogates and U+FFFE/U+FFFF dropped."""
    return _NOT_XML.sub("", text)


def _text(parent: etree._Element, tag: str, text: str, lang: str | None = None) -> etree._Element:
    element = _sub(parent, tag, _clean(text), type="text")
    if _xml_lang(lang):
        element.set(XML_LANG, str(lang))
    return element


def render_atom(feed: FeedPage, authority: str, source_urls: dict[str, str]) -> bytes:
    root = etree.Element(ATOM + "feed", nsmap=default_ns(ATOM_NS, at=TOMBSTONE_NS))
    _sub(root, ATOM + "id", feed.feed_id)
    _text(root, ATOM + "title", "gkss-hub: newest resources", "en")
    _sub(root, ATOM + "updated", rfc3339(feed.updated))
    author = _sub(root, ATOM + "author")
    _sub(author, ATOM + "name", "gkss-hub")
    _sub(root, ATOM + "generator", "gkss-hub", uri=feed.base_url)
    _link(root, "alternate", feed.base_url, "text/html")
    for rel, href in feed.links.items():
        _link(root, rel, href, "application/atom+xml" if rel == "self" else None)
    # RFC 6721 tombstones are extension elements of the feed: RFC 4287's grammar puts those before
    # the entries.
    for stone in feed.tombstones:
        deleted = _sub(root, AT + "deleted-entry", ref=tag_uri(authority, "resource", stone.id))
        deleted.set("when", rfc3339(stone.when))
        _link(deleted, "via", api_url(stone.id, feed.base_url))
        _sub(deleted, AT + "comment", f"deleted at source {stone.source}")
    for resource in feed.resources:
        entry = _sub(root, ATOM + "entry")
        _sub(entry, ATOM + "id", tag_uri(authority, "resource", resource.id))
        title, lang = title_of(resource)
        _text(entry, ATOM + "title", title, lang)
        _sub(entry, ATOM + "updated", rfc3339(entry_updated(resource)))
        published = entry_published(resource)
        if published is not None:
            _sub(entry, ATOM + "published", rfc3339(published, keep_offset=True))
        _link(entry, "alternate", link_of(resource, feed.base_url))
        _link(entry, "related", api_url(resource.id, feed.base_url), "application/json")
        description = description_of(resource)
        if description is not None:
            _text(entry, ATOM + "summary", *description)
        for name in resource.creators:
            _sub(_sub(entry, ATOM + "author"), ATOM + "name", _clean(name))
        _sub(entry, ATOM + "category", term=resource.type, scheme=TYPE_SCHEME, label=resource.type)
        for target in resource.gbf_targets:
            _sub(entry, ATOM + "category", term=target, scheme=TARGET_SCHEME, label=target)
        if resource.licence:
            _sub(entry, ATOM + "rights", _clean(resource.licence), type="text")
        source = _sub(entry, ATOM + "source")
        _sub(source, ATOM + "id", tag_uri(authority, "source", resource.source))
        _text(source, ATOM + "title", resource.source)
        _sub(source, ATOM + "updated", rfc3339(entry_updated(resource)))
        if resource.source in source_urls:
            _link(source, "via", _clean(source_urls[resource.source]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# -- RSS 2.0 --------------------------------------------------------------------------------------


def _rss_html(text: str) -> str:
    """An RSS description is HTML to its readers: plain text is HTML-escaped before XML escaping."""
    return html.escape(_clean(text), quote=False)


def render_rss(feed: FeedPage, authority: str) -> bytes:
    root = etree.Element("rss", {"version": "2.0"}, nsmap={"atom": ATOM_NS, "dc": DC_NS})
    channel = _sub(root, "channel")
    _sub(channel, "title", "gkss-hub: newest resources")
    _sub(channel, "link", feed.base_url)
    _sub(channel, "description", "The newest resources harvested by gkss-hub, newest first.")
    _sub(channel, "language", "en")
    _sub(channel, "lastBuildDate", format_datetime(feed.updated, usegmt=True))
    _sub(channel, "generator", "gkss-hub")
    for rel, href in feed.links.items():
        _link(channel, rel, href, "application/rss+xml" if rel == "self" else None)
    for resource in feed.resources:
        item = _sub(channel, "item")
        _sub(item, "title", _rss_html(title_of(resource)[0]))  # readers render RSS titles as HTML too
        _sub(item, "link", link_of(resource, feed.base_url))
        description = description_of(resource)
        if description is not None:
            _sub(item, "description", _rss_html(description[0]))
        for name in resource.creators:  # RSS <author> wants an e-mail address: dc:creator instead
            _sub(item, "{" + DC_NS + "}creator", _clean(name))
        guid = _sub(item, "guid", tag_uri(authority, "resource", resource.id))
        guid.set("isPermaLink", "false")
        _sub(
            item,
            "pubDate",
            format_datetime(
                (entry_published(resource) or entry_updated(resource)).astimezone(UTC), usegmt=True
            ),
        )
        _sub(item, "category", resource.type, domain=TYPE_SCHEME)
        for target in resource.gbf_targets:
            _sub(item, "category", target, domain=TARGET_SCHEME)
        _sub(item, "category", resource.source, domain=SOURCE_SCHEME)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# -- JSON Feed 1.1 --------------------------------------------------------------------------------


def render_json(feed: FeedPage, authority: str) -> bytes:
    items = []
    for resource in feed.resources:
        title, lang = title_of(resource)
        description = description_of(resource)
        item: dict[str, object] = {
            "id": tag_uri(authority, "resource", resource.id),
            "url": link_of(resource, feed.base_url),
            "external_url": api_url(resource.id, feed.base_url),
            "title": title,
            "content_text": description[0] if description else title,
            "date_modified": rfc3339(entry_updated(resource)),
            "tags": [resource.type, *resource.gbf_targets],
            "_gkss": {"id": resource.id, "source": resource.source, "native_id": resource.native_id},
        }
        published = entry_published(resource)
        if published is not None:
            item["date_published"] = rfc3339(published, keep_offset=True)
        if _xml_lang(lang):
            item["language"] = lang
        if resource.creators:
            item["authors"] = [{"name": name} for name in resource.creators]
        items.append(item)
    document: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": "gkss-hub: newest resources",
        "home_page_url": feed.base_url,
        "feed_url": feed.self_url,
        "hubs": [{"type": "WebSub", "url": feed.links["hub"]}],
        "description": "The newest resources harvested by gkss-hub, newest first.",
        "language": "en",
        "authors": [{"name": "gkss-hub", "url": feed.base_url}],
        "items": items,
    }
    if "next" in feed.links:
        document["next_url"] = feed.links["next"]
    text = json.dumps(document, ensure_ascii=False, indent=1)
    # "<", ">" and "&" occur only inside strings: as \u escapes, no sniffing client can take them for markup
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("utf-8")
