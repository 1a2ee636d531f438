"""The plain entry dicts the feed readers (RSS/Atom in ``feed.py``, JSON Feed in ``jsonfeed.py``)
make, and the small helpers both use: keeping the first entries, reading text and URLs."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

logger = logging.getLogger("harvesters.feed")  # cut notes are logged as the feed harvester's, as before

Entry = dict[str, Any]


def _cut(items: list[Any], limit: int, url: str, notes: list[str]) -> None:
    """Keep the first ``limit`` items (in place), noting the cut."""
    if len(items) > limit:
        _note_cut(len(items), limit, url, notes)
        del items[max(0, limit) :]


def _note_cut(count: int, limit: int, url: str, notes: list[str]) -> None:
    note = f"{url}: the feed has {count} entries; the first {limit} were kept (max_entries {limit})"
    notes.append(note)
    logger.info(note)


def _converted(items: list[Any], convert: Any) -> list[Entry]:
    """``convert`` applied to every item, each parsed item released once converted (peak memory:
    about one copy of the entries, not two)."""
    out: list[Entry] = []
    for position in range(len(items)):
        out.append(convert(items[position]))
        items[position] = None
    return out


def _http_url(value: str | None, base: str) -> str | None:
    """``value`` resolved against ``base`` when the result is an absolute http(s) URL, else None."""
    if not value:
        return None
    try:
        resolved = urljoin(base, value)
        parts = urlsplit(resolved)
    except ValueError:
        return None
    return resolved if parts.scheme in ("http", "https") and parts.netloc else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in _list(value) if isinstance(v, Mapping)]


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None
