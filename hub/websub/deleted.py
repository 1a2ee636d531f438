"""The deletions a run made, with the Resource each record had (to match them against topic filters)."""

from __future__ import annotations

from hub.feeds import Tombstone
from hub.search.base import SearchQuery
from hub.store import Store, changes
from hub.websub.matching import matches
from normalizers.resource import Resource


def run_deletions(store: Store, run_id: int) -> list[tuple[Tombstone, Resource | None]]:
    """Tombstones the run wrote, each with the Resource the record had before (None if never seen)."""
    found = []
    for row in changes.run_tombstones(store, run_id):
        last = Resource.model_validate_json(row.last_resource) if row.last_resource else None
        found.append((Tombstone(id=row.id, source=row.source_id, when=row.changed_at), last))
    return found


def deletion_matches(query: SearchQuery, stone: Tombstone, last: Resource | None) -> bool:
    """A deletion belongs to a topic when the Resource it had matches; unknown ones by source alone."""
    if last is not None:
        return matches(query, last)
    only_source = not (
        query.text or query.type or query.country or query.target or query.language or query.year
    )
    return only_source and (not query.source or stone.source in query.source)
