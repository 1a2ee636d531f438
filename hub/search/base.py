"""The SearchIndex protocol and the query and page types every backend speaks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from normalizers.resource import Resource
from normalizers.vocabularies.countries import regions_of

FACET_FIELDS: tuple[str, ...] = ("type", "source", "country", "target", "language", "year")
# Filter-only fields: indexed like facets, never counted.
EXTRA_FILTER_FIELDS: tuple[str, ...] = (
    "region", "goal", "indicator",
    # issue 19 (target_basis): targets inferred from the text, and stated-or-inferred
    "target_inferred", "target_any",
)  # fmt: skip
FILTER_FIELDS: tuple[str, ...] = (*FACET_FIELDS, *EXTRA_FILTER_FIELDS)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search: free text plus exact filters; filters of one field are OR-ed, fields AND-ed.

    ``target`` takes ``GBF-TARGET-03`` identifiers; ``country`` ISO alpha-2 codes; ``year``
    four-digit years; ``region`` M49 codes or CBD group GUIDs; ``goal`` ``GBF-GOAL-A``;
    ``indicator`` GBF indicator identifiers. ``target_inferred`` matches targets inferred from the
    text (``Resource.gbf_targets_inferred``), ``target_any`` stated or inferred ones (``target``
    stays the stated ones). ``date_from``/``date_until`` (``YYYY-MM-DD``,
    inclusive) bound the record's date. ``sort`` is ``relevance`` (date as tie-break) or ``date``
    (newest first).
    """

    text: str = ""
    type: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    region: tuple[str, ...] = ()
    goal: tuple[str, ...] = ()
    indicator: tuple[str, ...] = ()
    target_inferred: tuple[str, ...] = ()
    target_any: tuple[str, ...] = ()
    date_from: str | None = None
    date_until: str | None = None
    sort: Literal["relevance", "date"] = "relevance"
    after: tuple[Any, ...] | None = None  # a hit's sort_key: the page starts after it (offset ignored)
    offset: int = 0
    size: int = 10
    facets: bool = True


def filter_terms(resource: Resource) -> dict[str, list[str]]:
    """The filter-only fields of a Resource: its regions (named, and those of its countries), GBF
    goals and indicators, and its inferred targets (alone, and with the stated ones)."""
    inferred = list(resource.gbf_targets_inferred)
    return {
        "region": list(dict.fromkeys([*resource.regions, *regions_of(resource.countries)])),
        "goal": list(dict.fromkeys(resource.gbf_goals)),
        "indicator": list(dict.fromkeys(resource.gbf_indicators)),
        "target_inferred": inferred,
        "target_any": list(dict.fromkeys([*resource.gbf_targets, *inferred])),
    }


@dataclass(frozen=True, slots=True)
class Hit:
    """One result: the id, its score and the stored Resource.

    ``highlights`` (backends with ``Capabilities.highlight``) maps a field such as ``title.fr`` to
    fragments with the matched words in ``<em>``; empty elsewhere.
    """

    id: str
    score: float
    resource: Resource
    highlights: dict[str, list[str]] = field(default_factory=dict)
    sort_key: tuple[Any, ...] = ()  # where the hit stands in the query's order (for SearchQuery.after)


@dataclass(slots=True)
class SearchPage:
    """A page of hits, the total match count and facet counts (value -> count, most first)."""

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do, declared rather than guessed."""

    highlight: bool = False
    suggest: bool = False
    deep_paging: bool = False
    cursor: bool = False  # SearchQuery.after: keyset paging from a hit's sort_key


class SearchIndex(Protocol):
    """A full-text index of Resources; the store is the truth, an index can always be rebuilt."""

    capabilities: Capabilities

    def add(self, resources: Iterable[Resource]) -> int:
        """Index (insert or replace) the resources; returns how many were written."""
        ...

    def delete(self, ids: Iterable[str]) -> int:
        """Remove the ids from the index; unknown ids are ignored. Returns how many were removed."""
        ...

    def search(self, query: SearchQuery) -> SearchPage:
        """Run a query."""
        ...

    def get(self, id: str) -> Resource | None:
        """The indexed Resource with this id, if any."""
        ...

    def count(self) -> int:
        """How many documents the index holds."""
        ...

    def ids(self) -> Iterable[str]:
        """Every id the index holds (for drift checks)."""
        ...

    def refresh(self) -> None:
        """Make everything added so far searchable."""
        ...

    def reset(self) -> None:
        """Drop everything and start empty."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
