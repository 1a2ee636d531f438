"""Cross-source deduplication: the same document reached through several sources becomes one Resource.

Two records of different sources are the same document when (1) their URLs are the same under the
canonical URL rules below, or (2) their titles are near-duplicates (same language or not) and
nothing contradicts it: both dated and more than ``max_days`` apart, or types that cannot be the
same thing. Records are never dropped: ``merge`` keeps the preferred record's fields, adds what the
others say (titles in other languages, countries, targets, ...) and lists every other record's
provenance in ``merged_provenance``, so the merge is visible in the record itself.

Canonical URL rules: scheme-insensitive (http = https); host lower-case without ``www.``; default
ports dropped; fragment dropped; tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_*``)
dropped; remaining query parameters sorted; trailing ``/``, ``index.html`` and ``default.shtml``
dropped; CBD document identities: ``/notifications/2024-001`` and ``ntf-2024-001`` file names are one
notification, ``/meetings/COP-17`` one meeting, ``chm.cbd.int/database/record?documentID=N`` and
``/database/record/N`` one record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from normalizers.resource import Resource

TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|mc_.*|_hs.*)$", re.IGNORECASE)
_CBD_IDENTITIES = (
    (re.compile(r"cbd\.int/notifications?/(\d{4}-\d{3})\b", re.I), "cbd-notification:{}"),
    (re.compile(r"\bntf-(\d{4}-\d{3})\b", re.I), "cbd-notification:{}"),
    (re.compile(r"cbd\.int/meetings/([A-Z0-9]+(?:-[A-Z0-9]+)*)\b", re.I), "cbd-meeting:{}"),
    (re.compile(r"chm\.cbd\.int/database/record(?:\?documentID=|/)(\d+)\b", re.I), "chm-record:{}"),
)
# Which source's record is kept as the merged record's base: the most authoritative protocol first.
PROTOCOL_PREFERENCE = ("cbd-index", "odata", "drupal-jsonapi", "oai-pmh", "feed", "sitemap", "scrape")
# Pairs of types that never describe the same document.
_INCOMPATIBLE_TYPES = {
    frozenset(pair)
    for pair in (
        ("meeting", "decision"),
        ("meeting", "national-report"),
        ("decision", "national-report"),
        ("notification", "decision"),
        ("notification", "meeting"),
        ("organisation", "document"),
        ("dataset", "meeting"),
    )
}


def canonical_url(url: str | None) -> str | None:
    """The URL under the canonical rules (module docstring); None when there is no usable URL."""
    if not url or not url.strip().lower().startswith(("http://", "https://")):
        return None
    text = url.strip()
    for pattern, template in _CBD_IDENTITIES:
        match = pattern.search(text)
        if match:
            return template.format(match.group(1).upper())
    parts = urlsplit(text)
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port if parts.port not in (None, 80, 443) else None
    path = re.sub(r"/(index\.html?|default\.shtml)$", "/", parts.path or "/").rstrip("/") or ""
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k))
    netloc = f"{host}:{port}" if port else host
    return f"{netloc}{path}" + (f"?{urlencode(query)}" if query else "")


def title_words(title: str) -> list[str]:
    """Case-folded, accent-free words of a title (CJK characters count as words)."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(c for c in folded if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", text)


def _similarity(left: list[str], right: list[str]) -> float:
    """Word-set Jaccard similarity, 0..1."""
    a, b = set(left), set(right)
    return len(a & b) / len(a | b) if a and b else 0.0


@dataclass(slots=True)
class Match:
    """Why two records were judged the same document."""

    left: str
    right: str
    rule: str
    score: float


@dataclass(slots=True)
class Cluster:
    """Records judged to be one document, and the matches that joined them."""

    ids: list[str]
    matches: list[Match] = field(default_factory=list)


class _Union:
    """Union-find whose clusters hold at most one record per source (a document appears once in a source)."""

    def __init__(self, source_of: dict[str, str]) -> None:
        self.parent: dict[str, str] = {}
        self.sources: dict[str, set[str]] = {}
        self.source_of = source_of

    def find(self, item: str) -> str:
        if item not in self.parent:
            self.parent[item] = item
            self.sources[item] = {self.source_of[item]}
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, left: str, right: str) -> bool:
        """Join the two clusters unless they share a source; whether they were joined."""
        a, b = self.find(left), self.find(right)
        if a == b or self.sources[a] & self.sources[b]:
            return False
        self.parent[a] = b
        self.sources[b] |= self.sources.pop(a)
        return True


def _compatible(left: Resource, right: Resource, max_days: int) -> bool:
    if left.source == right.source:
        return False
    if frozenset((left.type, right.type)) in _INCOMPATIBLE_TYPES:
        return False
    if left.published is None or right.published is None:
        return True
    return abs((left.published - right.published).days) <= max_days


def find_duplicates(
    resources: Iterable[Resource], threshold: float = 0.9, max_days: int = 62
) -> list[Cluster]:
    """Clusters of two or more records of different sources that are the same document."""
    records = {r.id: r for r in resources}
    union = _Union({rid: r.source for rid, r in records.items()})
    candidates: list[Match] = []
    by_url: dict[str, list[str]] = {}
    words: dict[str, list[list[str]]] = {}
    blocks: dict[str, set[str]] = {}
    for rid, record in records.items():
        key = canonical_url(record.url)
        if key:
            by_url.setdefault(key, []).append(rid)
        titles = [title_words(t) for t in dict.fromkeys(record.title.values())]
        words[rid] = [w for w in titles if len(w) >= 3]
        for title in words[rid]:
            for word in sorted(set(title), key=lambda w: (-len(w), w))[:3]:  # blocking: the 3 longest words
                blocks.setdefault(word, set()).add(rid)
    for key, ids in by_url.items():
        for i, left in enumerate(ids):
            for right in ids[i + 1 :]:
                if _compatible(records[left], records[right], max_days=100_000):
                    candidates.append(Match(left, right, f"url:{key}", 2.0))  # URL rules before titles
    seen: set[tuple[str, str]] = set()
    for block in blocks.values():
        ordered = sorted(block)
        for i, left in enumerate(ordered):
            for right in ordered[i + 1 :]:
                if (left, right) in seen:
                    continue
                seen.add((left, right))
                if not _compatible(records[left], records[right], max_days):
                    continue
                best = max((_similarity(a, b) for a in words[left] for b in words[right]), default=0.0)
                if best >= threshold:
                    candidates.append(Match(left, right, "title", round(best, 3)))
    # strongest evidence first, so a record joins its best match before a weaker one can take it
    matches = [
        m
        for m in sorted(candidates, key=lambda m: (-m.score, m.left, m.right))
        if union.join(m.left, m.right)
    ]
    clusters: dict[str, Cluster] = {}
    for rid in records:
        root = union.find(rid)
        clusters.setdefault(root, Cluster(ids=[])).ids.append(rid)
    for match in matches:
        clusters[union.find(match.left)].matches.append(match)
    return [c for c in clusters.values() if len(c.ids) > 1]


def same_document_pairs(clusters: Iterable[Cluster]) -> set[frozenset[str]]:
    """Every pair of record ids the clusters join (for measuring against known duplicates)."""
    found: set[frozenset[str]] = set()
    for cluster in clusters:
        for i, left in enumerate(cluster.ids):
            for right in cluster.ids[i + 1 :]:
                found.add(frozenset((left, right)))
    return found


def _rank(resource: Resource) -> tuple[int, int, str]:
    protocol = resource.provenance.protocol
    order = (
        PROTOCOL_PREFERENCE.index(protocol) if protocol in PROTOCOL_PREFERENCE else len(PROTOCOL_PREFERENCE)
    )
    return order, -len(resource.title) - len(resource.description), resource.id


def merge(resources: list[Resource]) -> Resource:
    """One Resource for a cluster: the preferred record, completed by the others, with their provenance."""
    ordered = sorted(resources, key=_rank)
    base, others = ordered[0], ordered[1:]

    def union(name: str) -> list[str]:
        values: list[str] = []
        for record in ordered:
            values += [v for v in getattr(record, name) if v not in values]
        return values

    title = dict(base.title)
    description = dict(base.description)
    for record in others:
        title.update({k: v for k, v in record.title.items() if k not in title})
        description.update({k: v for k, v in record.description.items() if k not in description})
    provenance = [p for record in others for p in (record.provenance, *record.merged_provenance)]
    dates = [r.published for r in ordered if r.published]
    earliest = (
        next((r for r in ordered if r.published and r.published == min(dates)), None) if dates else None
    )
    dated = base if base.published else earliest
    targets = sorted(union("gbf_targets"))
    inferred: dict[str, float] = {}  # issue 19: each copy's inferred targets, none a copy states
    for record in ordered:
        for target, score in record.gbf_targets_inferred.items():
            if target not in targets:
                inferred[target] = max(score, inferred.get(target, 0.0))
    return base.model_copy(
        update={
            "title": title,
            "description": description,
            "url": base.url or next((r.url for r in others if r.url), None),
            "published": base.published or (min(dates) if dates else None),
            "published_at": dated.published_at if dated is not None else None,
            "languages": union("languages"),
            "countries": union("countries"),
            "regions": union("regions"),
            "subjects": union("subjects"),
            "creators": union("creators"),
            "gbf_goals": sorted(union("gbf_goals")),
            "gbf_targets": targets,
            "gbf_targets_inferred": dict(sorted(inferred.items())),
            "gbf_indicators": sorted(union("gbf_indicators")),
            "merged_provenance": [*base.merged_provenance, *provenance],
        }
    )
