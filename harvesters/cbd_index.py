"""CBD index harvesting: the Solr ``/api/v2013/index/select`` endpoint of api.cbd.int, page by page.

Queries follow /work/shared/docs/cbd-sources.md section 1.1: a schema query per preset (or an explicit
``query``), the public/current filters ``_state_s:public`` and ``(*:* NOT version_s:*)``, a realm
filter where the preset's schemas live in one realm, a stable sort and ``start``/``rows`` paging
until ``numFound``. Incremental runs add ``updatedDate_dt:[<since> TO *]``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import Field, StrictInt, StrictStr, field_validator, model_validator

from harvesters.base import HarvestItem, HarvestState, SourceOptions, SourceSpec
from harvesters.dates import parse_solr_datetime
from harvesters.errors import ConfigurationError, MalformedResponse
from harvesters.http import FetchedResponse, HttpPolicy, fetch, make_client, raise_for_status
from harvesters.records import RawRecord, RecordFailure, json_payload

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-cbd-index+json"
SELECT_PATH = "/api/v2013/index/select"
SORT = "updatedDate_dt asc, id asc"
DEFAULT_ROWS = 100
MAX_ROWS = 1000
PUBLIC_FILTERS = ("_state_s:public", "(*:* NOT version_s:*)")
# Schemas the cbd-index crosswalk gives a type (normalizers/cbd_index.py SCHEMA_TYPES and prefixes).
KNOWN_SCHEMAS = frozenset({"notification", "meeting", "decision", "recommendation", "nbsap", "resource"})
KNOWN_SCHEMA_PREFIXES = ("nationalReport", "nationalTarget")


@dataclass(frozen=True, slots=True)
class Preset:
    """A named query: the Solr ``q`` and the realm filter (None: the schemas are not realm-bound)."""

    query: str
    realm: str | None


# Schema names from cbd-sources.md section 1.1 (schemas table) and section 5 (ORT realm).
PRESETS: dict[str, Preset] = {
    "notifications": Preset("schema_s:notification", None),
    "meetings": Preset("schema_s:meeting", "chm"),
    "decisions": Preset("schema_s:decision", None),
    "national-reports": Preset("schema_s:(nationalReport nationalReport6 nationalReport7)", "(chm ort)"),
    "nbsaps": Preset("schema_s:nbsap", "ort"),
    "national-targets": Preset("schema_s:nationalTarget7", "ort"),
    "virtual-library": Preset("schema_s:resource", "chm"),
}


def solr_datetime(moment: datetime) -> str:
    """A datetime as the Solr ISO form in UTC with a ``Z`` (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CbdIndexOptions(SourceOptions):
    """The options of a ``cbd-index`` source: a preset or a query (or both: the query with the
    preset's realm)."""

    preset: StrictStr | None = None
    """A ready-made query by name (see ``PRESETS``)."""
    query: StrictStr | None = None
    """A Solr query of the CBD index, used instead of the preset's."""
    rows: StrictInt = Field(default=DEFAULT_ROWS, ge=1, le=MAX_ROWS)
    """Documents asked for per page."""

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str | None) -> str | None:
        if value is not None and value not in PRESETS:
            raise ValueError(f"unknown cbd-index preset {value!r}; known: {', '.join(sorted(PRESETS))}")
        return value

    @field_validator("query")
    @classmethod
    def _query_text(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("cbd-index query must be a non-empty string")
        return value

    @model_validator(mode="after")
    def _preset_or_query(self) -> CbdIndexOptions:
        if self.preset is None and self.query is None:
            raise ValueError("cbd-index needs a preset or a query option")
        return self


class CbdIndexHarvester:
    """Harvests one CBD index query; each Solr document becomes a RawRecord of JSON."""

    def __init__(
        self, spec: SourceSpec[CbdIndexOptions], policy: HttpPolicy, client: httpx.Client | None = None
    ) -> None:
        self.spec = spec
        self.policy = policy
        self._client = client
        self.query, self.realm = _query_of(spec.options)
        self.rows = spec.options.rows

    @property
    def select_url(self) -> str:
        return self.spec.url.rstrip("/") + SELECT_PATH

    def params(self, state: HarvestState, start: int) -> list[tuple[str, str]]:
        """The Solr parameters of the page starting at ``start`` (``fq`` repeated)."""
        params: list[tuple[str, str]] = [("q", self.query)]
        filters = list(PUBLIC_FILTERS)
        if self.realm:
            filters.append(f"realm_ss:{self.realm}")
        if state.since is not None or state.until is not None:
            low = solr_datetime(state.since) if state.since is not None else "*"
            high = solr_datetime(state.until) if state.until is not None else "*"
            filters.append(f"updatedDate_dt:[{low} TO {high}]")
        params += [("fq", f) for f in filters]
        params += [("sort", SORT), ("start", str(start)), ("rows", str(self.rows)), ("wt", "json")]
        return params

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        """Fetch page after page and yield one RawRecord or RecordFailure per document."""
        scheme = urlsplit(self.spec.url).scheme.lower()
        if scheme not in ("http", "https"):
            raise ConfigurationError(f"{self.spec.id}: CBD API root must be http(s), got {self.spec.url!r}")
        client = self._client or make_client(self.policy)
        try:
            start = 0
            first_count: int | None = None
            while True:
                response = fetch(
                    client,
                    self.policy,
                    self.select_url,
                    params=self.params(state, start),  # type: ignore[arg-type]
                    headers={"Accept": "application/json"},
                    on_response=state.count_response,
                )
                raise_for_status(response)
                num_found, docs = parse_select(response)
                if first_count is None:
                    first_count = num_found
                elif num_found != first_count:
                    # offset paging over a changing index can skip or repeat documents
                    note = (
                        f"{self.spec.id}: numFound changed from {first_count} to {num_found} during the run"
                    )
                    state.notes.append(note)
                    logger.warning(note)
                    first_count = num_found
                for offset, doc in enumerate(docs):
                    self._note_schema(doc, state)
                    yield self._record(start + offset, doc)
                start += len(docs)
                if start >= num_found:
                    return
                if not docs:
                    note = f"{response.url}: empty page at start={start} before numFound={num_found}"
                    state.notes.append(note)
                    logger.warning(note)
                    return
        finally:
            if self._client is None:
                client.close()

    def _note_schema(self, doc: Any, state: HarvestState) -> None:
        """Record on the run, once per schema, a ``schema_s`` the crosswalk has no type for."""
        schema = doc.get("schema_s") if isinstance(doc, dict) else None
        if not isinstance(schema, str) or schema in KNOWN_SCHEMAS or schema.startswith(KNOWN_SCHEMA_PREFIXES):
            return
        note = f"{self.spec.id}: unknown schema_s {schema!r}, stored with type 'other'"
        if note not in state.notes:
            state.notes.append(note)

    def _record(self, position: int, doc: Any) -> HarvestItem:
        if not isinstance(doc, dict):
            return RecordFailure(self.spec.id, None, f"document #{position + 1} is not a JSON object")
        native_id = native_id_of(doc)
        if native_id is None:
            message = f"document #{position + 1} has no identifier_s, id or uniqueIdentifier_s"
            return RecordFailure(self.spec.id, None, message)
        datestamp = parse_solr_datetime(doc.get("updatedDate_dt"))
        return RawRecord(self.spec.id, native_id, CONTENT_TYPE, json_payload(doc), datestamp)


def native_id_of(doc: dict[str, Any]) -> str | None:
    """``identifier_s``, else ``id``, else ``uniqueIdentifier_s`` (the ORT examples carry only that)."""
    for key in ("identifier_s", "id", "uniqueIdentifier_s"):
        value = _text(doc.get(key))
        if value:
            return value
    return None


def _query_of(options: CbdIndexOptions) -> tuple[str, str | None]:
    preset = PRESETS[options.preset] if options.preset else None
    if options.query is not None:
        return options.query.strip(), preset.realm if preset else None
    assert preset is not None  # the model requires a preset or a query
    return preset.query, preset.realm


def parse_select(response: FetchedResponse) -> tuple[int, list[Any]]:
    """``numFound`` and the docs of a Solr select response; MalformedResponse when it is not one."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponse(f"{response.url}: not a Solr JSON response: {exc}") from exc
    inner = body.get("response") if isinstance(body, dict) else None
    if not isinstance(inner, dict):
        raise MalformedResponse(f"{response.url}: JSON without a Solr 'response' object")
    num_found = inner.get("numFound")
    docs = inner.get("docs")
    if isinstance(num_found, bool) or not isinstance(num_found, int) or not isinstance(docs, list):
        raise MalformedResponse(f"{response.url}: Solr response without numFound and docs")
    return num_found, docs


def _text(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        return None
    return value.strip() or None
