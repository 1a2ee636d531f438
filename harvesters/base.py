"""The Harvester protocol, the source spec it is built from and the state carried between runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from harvesters.records import RawRecord, RecordFailure

DEFAULT_USER_AGENT = "gkss-hub/0.1 (+https://github.com/gkssb/gkss-hub; harvester contact: gkss-hub@cbd.int)"
"""What every harvester sends as its User-Agent unless the settings say otherwise (declared here, in
the light contract module, so the settings name it without loading the HTTP client)."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """What a harvester needs to know about a source: plain data, validated upstream."""

    id: str
    protocol: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class HarvestState:
    """State read before a run and written back after it succeeds.

    ``since`` is the start of the window an incremental run asks for (None: everything);
    ``etag`` and ``last_modified`` are the validators of the last feed response. Harvesters
    update ``etag``/``last_modified``/``not_modified`` and the counters as they go, and
    ``source_clock``: the source's own time when the run began (an OAI-PMH repository's
    ``responseDate`` to Identify), the next window's start once the run succeeds, so that a source
    whose clock runs behind ours loses no record between two runs.
    """

    since: datetime | None = None
    until: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    source_clock: datetime | None = None
    requests: int = 0
    bytes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def count_response(self, status: int, size: int) -> None:
        """Record one HTTP response in the run's counters."""
        self.requests += 1
        self.bytes += size
        key = str(status)
        self.statuses[key] = self.statuses.get(key, 0) + 1


HarvestItem = RawRecord | RecordFailure


class Harvester(Protocol):
    """Reads one source and yields its records lazily, never holding the whole source."""

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        """Yield the source's records changed since ``state.since`` (all when None)."""
        ...
