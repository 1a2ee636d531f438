"""The SearchIndex protocol and the page types every backend speaks (the query is in normalizers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from normalizers.search_query import EXTRA_FILTER_FIELDS as EXTRA_FILTER_FIELDS
from normalizers.search_query import FACET_FIELDS as FACET_FIELDS
from normalizers.search_query import FILTER_FIELDS as FILTER_FIELDS
from normalizers.search_query import SearchQuery as SearchQuery
from normalizers.search_query import filter_terms as filter_terms

if TYPE_CHECKING:  # the model only where records are handled, not where the filters are read
    from normalizers.resource import Resource


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
    """A page of hits, the total match count and facet counts (value -> count, most first); ``counts``
    says whether the total and facets were counted (``exact``) or ``estimated``."""

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    counts: str = "exact"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can do, declared rather than guessed."""

    highlight: bool = False
    suggest: bool = False
    deep_paging: bool = False
    cursor: bool = False  # SearchQuery.after: keyset paging from a hit's sort_key
    # A search is CPU work in this process (no network, no lock held long): an async caller may run it
    # on its event loop rather than hand it to a worker thread.
    in_process: bool = False


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
