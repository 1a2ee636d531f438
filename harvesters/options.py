"""What every harvester carries from a source's options into its payloads: the source's place."""

from __future__ import annotations

from typing import Any

from harvesters.base import SourceOptions, SourceSpec

MAX_ENTRIES = 5000  # a feed's `max_entries` by default: entries kept from one feed document
MAX_ENTRIES_LIMIT = 100_000  # the highest `max_entries` a source may set


def place_context(spec: SourceSpec[SourceOptions]) -> dict[str, Any]:
    """The source's configured place and identity, carried in each payload for the crosswalk."""
    return {
        "site": spec.url.rstrip("/"),
        "country": spec.options.country,
        "regions": spec.options.region_list(),
        "title": spec.options.title,
    }
