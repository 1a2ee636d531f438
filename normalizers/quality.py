"""Quality of a normalised Resource: what is missing, which vocabulary is unknown, a 0-100 score."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from normalizers.resource import Resource
from normalizers.vocabularies.countries import countries
from normalizers.vocabularies.gbf import gbf_goals, gbf_targets
from normalizers.vocabularies.indicators import gbf_indicators
from normalizers.vocabularies.languages import UN_LANGUAGES
from normalizers.vocabularies.regions import regions
from normalizers.vocabularies.resource_types import RESOURCE_TYPES

# What each field is worth out of 100: what a search user and a feed reader need first.
WEIGHTS: dict[str, int] = {
    "title": 25,
    "url": 15,
    "description": 15,
    "date": 10,
    "type": 10,
    "language": 5,
    "place": 5,
    "creator": 5,
    "licence": 5,
    "subjects": 5,
}
UNKNOWN_PENALTY = 5  # per value outside the controlled vocabularies


@dataclass(slots=True)
class Quality:
    """The quality of one Resource."""

    score: int
    missing: list[str] = field(default_factory=list)
    unknown: list[dict[str, str]] = field(default_factory=list)
    broken_link: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "missing": self.missing,
            "unknown_vocabulary": self.unknown,
            "broken_link": self.broken_link,
        }


def _present(resource: Resource) -> dict[str, bool]:
    return {
        "title": any(v.strip() for v in resource.title.values()),
        "url": bool(resource.url),
        "description": any(v.strip() for v in resource.description.values()),
        "date": resource.published is not None or resource.modified is not None,
        "type": resource.type != "other",
        "language": bool(resource.languages),
        "place": bool(resource.countries or resource.regions),
        "creator": bool(resource.creators or resource.publisher),
        "licence": bool(resource.licence),
        "subjects": bool(resource.subjects or resource.gbf_targets or resource.gbf_goals),
    }


def _unknown(resource: Resource) -> list[dict[str, str]]:
    known = {
        "countries": set(countries()),
        "regions": set(regions()),
        "gbf_targets": {t.identifier for t in gbf_targets()},
        "gbf_goals": {g.identifier for g in gbf_goals()},
        "gbf_indicators": {i.identifier for i in gbf_indicators()},
    }
    out = [
        {"field": name, "value": value}
        for name, allowed in known.items()
        for value in getattr(resource, name)
        if value not in allowed
    ]
    if resource.type not in RESOURCE_TYPES:
        out.append({"field": "type", "value": resource.type})
    languages = set(resource.title) | set(resource.description)
    out.extend({"field": "language", "value": code} for code in sorted(languages) if not _language_tag(code))
    return out


def _language_tag(code: str) -> bool:
    """A language key the schema accepts: a UN language, another two- or three-letter code, or 'und'."""
    return code in UN_LANGUAGES or (code.isalpha() and code.islower() and 2 <= len(code) <= 3)


def assess(resource: Resource, broken_link: str | None = None) -> Quality:
    """Score a Resource: the weights of the fields it has, less penalties for unknown values and a
    broken link (which counts as no link)."""
    present = _present(resource)
    unknown = _unknown(resource)
    earned = {name for name, ok in present.items() if ok and not (name == "url" and broken_link)}
    score = sum(WEIGHTS[name] for name in earned) - UNKNOWN_PENALTY * len(unknown)
    return Quality(
        score=max(0, score),
        missing=[name for name, ok in present.items() if not ok],
        unknown=unknown,
        broken_link=broken_link,
    )


def summarise(qualities: Iterable[Quality]) -> dict[str, Any]:
    """A report over many Resources: count, mean and lowest score, how often each field is missing,
    the most frequent unknown values and the score distribution."""
    count = 0
    total = 0
    lowest: int | None = None
    missing: Counter[str] = Counter()
    unknown: Counter[tuple[str, str]] = Counter()
    buckets: Counter[str] = Counter()
    broken = 0
    for quality in qualities:
        count += 1
        total += quality.score
        lowest = quality.score if lowest is None else min(lowest, quality.score)
        missing.update(quality.missing)
        unknown.update((u["field"], u["value"]) for u in quality.unknown)
        low = min(quality.score // 20 * 20, 80)
        buckets[f"{low}-{low + 19 if low < 80 else 100}"] += 1
        broken += quality.broken_link is not None
    return {
        "records": count,
        "mean_score": round(total / count, 1) if count else None,
        "lowest_score": lowest,
        "missing": {
            name: {"records": missing[name], "share": round(missing[name] / count, 3)}
            for name in WEIGHTS
            if missing[name]
        },
        "unknown_vocabulary": [
            {"field": f, "value": v, "records": n} for (f, v), n in unknown.most_common(20)
        ],
        "broken_links": broken,
        "scores": {k: buckets[k] for k in ("0-19", "20-39", "40-59", "60-79", "80-100") if buckets[k]},
    }
