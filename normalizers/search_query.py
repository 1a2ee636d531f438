"""The search query over the common schema: free text, the filters, sort and paging.

It sits beside the vocabularies it filters by, below registry, federation and hub, so that every
layer reads the same declaration: the HTTP API and the command line, the peer forwarding of a
federated search, the search cursor and the engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from normalizers.resource import Resource
from normalizers.vocabularies.countries import regions_of

FACET_FIELDS: tuple[str, ...] = ("type", "source", "country", "target", "language", "year")
# Filter-only fields: indexed like facets, never counted.
EXTRA_FILTER_FIELDS: tuple[str, ...] = ("region", "goal", "indicator")
FILTER_FIELDS: tuple[str, ...] = (*FACET_FIELDS, *EXTRA_FILTER_FIELDS)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search: free text plus exact filters; filters of one field are OR-ed, fields AND-ed.

    ``target`` takes ``GBF-TARGET-03`` identifiers; ``country`` ISO alpha-2 codes; ``year``
    four-digit years; ``region`` M49 codes or CBD group GUIDs; ``goal`` ``GBF-GOAL-A``;
    ``indicator`` GBF indicator identifiers. ``date_from``/``date_until`` (``YYYY-MM-DD``,
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
    date_from: str | None = None
    date_until: str | None = None
    sort: Literal["relevance", "date"] = "relevance"
    after: tuple[Any, ...] | None = None  # a hit's sort_key: the page starts after it (offset ignored)
    offset: int = 0
    size: int = 10
    facets: bool = True


def filter_terms(resource: Resource) -> dict[str, list[str]]:
    """The filter-only fields of a Resource: its regions (named, and those of its countries), GBF
    goals and indicators."""
    return {
        "region": list(dict.fromkeys([*resource.regions, *regions_of(resource.countries)])),
        "goal": list(dict.fromkeys(resource.gbf_goals)),
        "indicator": list(dict.fromkeys(resource.gbf_indicators)),
    }
