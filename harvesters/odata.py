"""OData v2 JSON harvesting: one entity set of an InforMEA-style service (``/informea.svc/Decisions`` ...).

Requests follow cbd-sources.md section 4: ``$format=json``, ``$expand`` of the navigation properties
that are deferred otherwise (titles, summaries, keywords, files), ``$orderby=updated desc``,
``$top``/``$skip`` paging, and server-driven paging when a page carries ``d.__next``. Answers are
``{"d": {"results": [...]}}`` (v2) or ``{"d": [...]}`` (v1). Dates are ``/Date(ms)/``.

Incremental runs do not send ``$filter=updated gt datetime'...'`` (reported not to work on the
InforMEA aggregator); with the default newest-first order, paging stops at the first entity updated
before the window, and any other order filters the window on the client.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
from pydantic import Field, StrictInt, StrictStr, field_validator

from harvesters.base import HarvestItem, HarvestState, SourceOptions, SourceSpec
from harvesters.dates import parse_odata_date
from harvesters.errors import ConfigurationError, MalformedResponse
from harvesters.http import FetchedResponse, HttpPolicy, fetch, make_client, raise_for_status
from harvesters.options import place_context
from harvesters.records import RawRecord, RecordFailure, json_payload

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-odata-entity+json"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_PAGES = 100_000
NEWEST_FIRST = "updated desc"
# Deferred navigation properties of each InforMEA entity set (InforMEA API 1.5.6, scbd/informea context.js).
EXPANDS: dict[str, str] = {
    "Decisions": "title,longTitle,summary,keywords,content,files",
    "Meetings": "title,description",
    "CountryReports": "title,files",
    "NationalPlans": "title,files",
    "Documents": "title,description,files,keywords",
}


def parse_feed(response: FetchedResponse) -> tuple[list[Any], str | None]:
    """The entities and the ``__next`` link of an OData v1/v2 JSON collection answer."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponse(f"{response.url}: not an OData JSON answer: {exc}") from exc
    inner = body.get("d") if isinstance(body, dict) else None
    if isinstance(inner, list):
        return inner, None
    if isinstance(inner, dict) and isinstance(inner.get("results"), list):
        next_link = inner.get("__next")
        return inner["results"], next_link if isinstance(next_link, str) and next_link else None
    if isinstance(body, dict) and isinstance(body.get("value"), list):  # OData v4 JSON
        next_link = body.get("@odata.nextLink")
        return body["value"], next_link if isinstance(next_link, str) and next_link else None
    if isinstance(body, dict) and "error" in body:
        raise MalformedResponse(f"{response.url}: OData error: {json.dumps(body['error'])[:300]}")
    raise MalformedResponse(f"{response.url}: JSON without an OData 'd' collection")


class ODataOptions(SourceOptions):
    """The options of an ``odata`` source."""

    entity_set: StrictStr
    """The entity set harvested, such as ``Decisions`` (required)."""
    expand: StrictStr | None = None
    """``$expand`` of each request (default: the set's known expansions)."""
    filter: StrictStr | None = None
    """``$filter`` of each request."""
    orderby: StrictStr | None = None
    """``$orderby`` of each request (default ``updated desc``: incremental runs stop at older entities)."""
    page_size: StrictInt = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    """Entities asked for per page (``$top``)."""

    @field_validator("entity_set")
    @classmethod
    def _set_name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", value):
            raise ValueError(f"odata needs an entity_set option such as 'Decisions', got {value!r}")
        return value


class ODataHarvester:
    """Harvests one entity set; each entity becomes a RawRecord carrying the set's name."""

    def __init__(
        self, spec: SourceSpec[ODataOptions], policy: HttpPolicy, client: httpx.Client | None = None
    ) -> None:
        self.spec = spec
        self.policy = policy
        self._client = client
        self.entity_set = spec.options.entity_set
        self.page_size = spec.options.page_size
        self.orderby = spec.options.orderby or NEWEST_FIRST
        self.expand = spec.options.expand or EXPANDS.get(self.entity_set, "")
        self.filter = spec.options.filter

    @property
    def collection_url(self) -> str:
        return f"{self.spec.url.rstrip('/')}/{self.entity_set}"

    def page_url(self, skip: int) -> str:
        """The URL of the page starting at ``skip``."""
        params: list[tuple[str, str]] = [("$format", "json")]
        if self.expand:
            params.append(("$expand", self.expand))
        if isinstance(self.filter, str) and self.filter:
            params.append(("$filter", self.filter))
        params += [("$orderby", self.orderby), ("$top", str(self.page_size)), ("$skip", str(skip))]
        return f"{self.collection_url}?{urlencode(params)}"

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        """Page through the entity set; yield one RawRecord or RecordFailure per entity in the window."""
        if urlsplit(self.spec.url).scheme.lower() not in ("http", "https"):
            raise ConfigurationError(
                f"{self.spec.id}: OData service root must be http(s), got {self.spec.url!r}"
            )
        if self.entity_set not in EXPANDS:
            state.notes.append(
                f"{self.spec.id}: entity set {self.entity_set!r} is not one the crosswalk knows; "
                "records keep the fields all sets share, type 'other'"
            )
        client = self._client or make_client(self.policy)
        skip = 0
        url: str | None = self.page_url(0)
        pages = 0
        position = 0
        newest_first = self.orderby.strip().lower() == NEWEST_FIRST
        asked: set[str] = set()  # a page asked for again (a __next link back): the paging loops
        known: set[str] = set()  # entity ids read so far
        try:
            while url is not None and pages < MAX_PAGES:
                if url in asked:
                    state.notes.append(f"{self.spec.id}: paging stopped: {url} was already read (a loop)")
                    return
                asked.add(url)
                pages += 1
                response = fetch(
                    client,
                    self.policy,
                    url,
                    headers={"Accept": "application/json"},
                    on_response=state.count_response,
                )
                raise_for_status(response)
                entities, next_link = parse_feed(response)
                ids = {str(e.get("id")) for e in entities if isinstance(e, dict) and e.get("id") is not None}
                if ids and ids <= known:  # a server ignoring $skip answers the same page forever
                    state.notes.append(f"{self.spec.id}: paging stopped: {url} brought no new entity (loop)")
                    return
                known |= ids
                for entity in entities:
                    position += 1
                    updated = parse_odata_date(entity.get("updated")) if isinstance(entity, dict) else None
                    if state.since is not None and updated is not None and updated < _aware(state.since):
                        if newest_first:
                            state.notes.append(
                                f"{self.spec.id}: stopped at the first entity older than the window"
                            )
                            return
                        continue
                    yield self._record(position, entity, updated)
                skip += len(entities)
                if next_link:
                    url = urljoin(response.url, next_link)
                elif len(entities) >= self.page_size:
                    url = self.page_url(skip)
                else:
                    url = None
        finally:
            if self._client is None:
                client.close()

    def _record(self, position: int, entity: Any, updated: datetime | None) -> HarvestItem:
        if not isinstance(entity, dict):
            return RecordFailure(self.spec.id, None, f"entity #{position} is not a JSON object")
        native = entity.get("id")
        if isinstance(native, int) and not isinstance(native, bool):
            native = str(native)
        if not isinstance(native, str) or not native.strip():
            return RecordFailure(self.spec.id, None, f"entity #{position} of {self.entity_set} has no id")
        payload = {"entity_set": self.entity_set, "entity": entity, "context": place_context(self.spec)}
        return RawRecord(self.spec.id, native.strip(), CONTENT_TYPE, json_payload(payload), updated)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
