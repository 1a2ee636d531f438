"""The Harvester protocol, the source it is built from and the state carried between runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, StrictStr

from harvesters.records import RawRecord, RecordFailure

DEFAULT_USER_AGENT = "gkss-hub/0.1 (+https://github.com/gkssb/gkss-hub; harvester contact: gkss-hub@cbd.int)"
"""What every harvester sends as its User-Agent unless the settings say otherwise (declared here, in
the light contract module, so the settings name it without loading the HTTP client)."""


class SourceOptions(BaseModel):
    """What every protocol's options model has (each protocol's model derives from this one): the
    source's title and its place, carried into each payload for the crosswalk. A model forbids the
    options it does not declare, so a misspelt option is refused, by name, at registration."""

    # each option's docstring is its description (shown in docs/administration.md, checked there)
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    title: StrictStr | None = None
    """A display name for the source (shown by the portal and carried in web-page payloads)."""
    country: StrictStr | None = None
    """The source's country (ISO 3166-1 alpha-2 or CBD code): records that name none get it."""
    regions: StrictStr | list[StrictStr] | None = None
    """The source's regions (UN M49 codes or CBD regional groups): records that name none get them."""

    def region_list(self) -> list[str]:
        """``regions`` as a list (one code given alone is a list of one)."""
        regions = self.regions or []
        return [regions] if isinstance(regions, str) else list(regions)

    def stored(self) -> dict[str, Any]:
        """The options as they are stored and shown: only those the source sets, as JSON values."""
        return self.model_dump(mode="json", exclude_unset=True)


Options = TypeVar("Options", bound=SourceOptions, covariant=True)


@dataclass(frozen=True, slots=True)
class SourceSpec(Generic[Options]):
    """A source, the one shape it has from registration to run: its id, protocol, URL and typed
    options (the protocol's options model, validated once when the source is registered or updated)."""

    id: str
    protocol: str
    url: str
    options: Options


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
