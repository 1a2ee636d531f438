"""Reading source options the same way in every harvester: bounded integers and the source's place."""

from __future__ import annotations

from typing import Any

from harvesters.base import SourceSpec
from harvesters.errors import ConfigurationError

MAX_ENTRIES = 5000  # a feed's `max_entries` by default: entries kept from one feed document
MAX_ENTRIES_LIMIT = 100_000  # the highest `max_entries` a source may set


def int_option(spec: SourceSpec, name: str, default: int, low: int, high: int) -> int:
    """An integer option within [low, high]; ConfigurationError otherwise (booleans refused)."""
    value = spec.options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(f"{spec.id}: {name} must be an integer {low}-{high}, got {value!r}")
    return value


def place_context(spec: SourceSpec) -> dict[str, Any]:
    """The source's configured place and identity, carried in each payload for the crosswalk."""
    regions = spec.options.get("regions") or []
    return {
        "site": spec.url.rstrip("/"),
        "country": spec.options.get("country"),
        "regions": [regions] if isinstance(regions, str) else list(regions),
        "title": spec.options.get("title"),
    }
