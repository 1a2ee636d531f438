"""Merging the ranked lists of several hubs: reciprocal rank fusion, dedup by URL and identifier, facets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

RRF_K = 60


@dataclass(frozen=True, slots=True)
class RankedList:
    """One hub's answer: its results in rank order and its weight in the fusion."""

    hub: str
    results: Sequence[Mapping[str, Any]]
    weight: float = 1.0
    facets: Mapping[str, Mapping[str, int]] = field(default_factory=dict)


def canonical_url(url: str | None) -> str | None:
    """The URL as a dedup key: lower-case host, no default port, fragment, ``www.`` or trailing slash;
    http and https count as one."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if not parts.netloc:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/") or ""
    return urlunsplit(("http", netloc, path, parts.query, ""))


def identifiers(result: Mapping[str, Any]) -> list[str]:
    """Keys naming the same record anywhere: its origin identifiers and its canonical URL."""
    keys: list[str] = []
    provenance = result.get("provenance") or {}
    if provenance.get("source") and provenance.get("native_id"):
        keys.append(f"id:{provenance['source']}\x1f{provenance['native_id']}")
    url = canonical_url(result.get("url"))
    if url:
        keys.append(f"url:{url}")
    return keys


class _Groups:
    """Union-find over result keys: results sharing a URL or an identifier end in one group."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.owner: dict[str, int] = {}

    def find(self, item: int) -> int:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def add(self, item: int, keys: Sequence[str]) -> None:
        self.parent[item] = item
        for key in keys:
            other = self.owner.setdefault(key, item)
            if other != item:
                a, b = self.find(other), self.find(item)
                if a != b:
                    self.parent[max(a, b)] = min(a, b)


def fuse(lists: Sequence[RankedList], k: int = RRF_K) -> list[dict[str, Any]]:
    """One list: each result scored ``sum(weight / (k + rank))`` over the lists holding it, duplicates
    merged into the best-ranked copy with every copy's hub and provenance under ``provenances`` (those
    a forwarding peer already merged included)."""
    entries: list[tuple[str, float, int, Mapping[str, Any]]] = []
    groups = _Groups()
    for ranked in lists:
        for rank, result in enumerate(ranked.results, start=1):
            index = len(entries)
            entries.append((ranked.hub, ranked.weight / (k + rank), rank, result))
            groups.add(index, identifiers(result))
    merged: dict[int, dict[str, Any]] = {}
    scores: dict[int, float] = {}
    best: dict[int, tuple[float, int]] = {}
    for index, (hub, score, rank, result) in enumerate(entries):
        root = groups.find(index)
        scores[root] = scores.get(root, 0.0) + score
        origin = str(result.get("hub") or hub)  # a peer's own federated answer names the hub it came from
        copies = result.get("provenances") or [
            {"hub": origin, "id": result.get("id"), "provenance": result.get("provenance")}
        ]
        if root not in merged or (score, -rank) > best[root]:
            previous = merged.get(root, {}).get("provenances", [])
            merged[root] = {**result, "hub": origin, "provenances": previous}
            best[root] = (score, -rank)
        merged[root]["provenances"].extend(copies)
    out = []
    for root, item in merged.items():
        item["rrf_score"] = round(scores[root], 6)
        out.append(item)
    out.sort(key=lambda item: (-item["rrf_score"], str(item.get("id"))))
    return out


def sum_facets(lists: Sequence[RankedList]) -> dict[str, dict[str, int]]:
    """Facet counts added up over the hubs, most first within each facet."""
    total: dict[str, dict[str, int]] = {}
    for ranked in lists:
        for name, counts in ranked.facets.items():
            bucket = total.setdefault(name, {})
            for value, count in counts.items():
                bucket[value] = bucket.get(value, 0) + int(count)
    return {name: dict(sorted(b.items(), key=lambda kv: (-kv[1], kv[0]))) for name, b in total.items()}
