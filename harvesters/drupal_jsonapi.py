"""Drupal JSON:API harvesting: the ``node/content`` collection of a Bioland national CHM site, page by page.

Requests follow /work/shared/docs/cbd-sources.md section 2: ``GET {site}/{locale}/jsonapi/node/content``
with ``include=field_type_placement`` (the content-type term), ``page[limit]``, a stable sort on
``changed`` then ``drupal_internal__nid``, and the next page taken from ``links.next`` until there is
none. Incremental runs add a ``changed >= since`` filter (Unix seconds, the stored form of Drupal's
``changed`` field). Each node is flattened (attributes merged, relationships resolved against
``included``) and wrapped with the site's configured context (site URL, locale, country, regions) so
the crosswalk can attach a node that names no country to the site's own country.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx
from pydantic import Field, StrictInt, StrictStr, field_validator

from harvesters.base import HarvestItem, HarvestState, SourceOptions, SourceSpec
from harvesters.dates import parse_solr_datetime
from harvesters.errors import ConfigurationError, MalformedResponse
from harvesters.http import FetchedResponse, HttpPolicy, fetch, make_client, raise_for_status
from harvesters.options import place_context
from harvesters.records import RawRecord, RecordFailure, json_payload

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-drupal-jsonapi-node+json"
NODE_TYPE = "node--content"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 50  # Drupal JSON:API caps page[limit] at 50
MAX_PAGES = 10_000
ACCEPT = "application/vnd.api+json, application/json;q=0.9"


def flatten(resource: dict[str, Any], included: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """A JSON:API resource object as one flat dict: id, type, attributes, relationships resolved one level.

    Already flat objects (``jsonapi_include=1``) pass through unchanged.
    """
    flat: dict[str, Any] = {
        k: v for k, v in resource.items() if k not in ("attributes", "relationships", "links")
    }
    attributes = resource.get("attributes")
    if isinstance(attributes, dict):
        flat.update(attributes)
    relationships = resource.get("relationships")
    if isinstance(relationships, dict):
        for name, relation in relationships.items():
            data = relation.get("data") if isinstance(relation, dict) else None
            if isinstance(data, list):
                flat[name] = [_resolve(item, included) for item in data]
            elif isinstance(data, dict):
                flat[name] = _resolve(data, included)
            else:
                flat[name] = None
    return flat


def _resolve(ref: Any, included: dict[tuple[str, str], dict[str, Any]]) -> Any:
    if not isinstance(ref, dict):
        return ref
    target = included.get((str(ref.get("type")), str(ref.get("id"))))
    if target is None:
        return {"type": ref.get("type"), "id": ref.get("id")}
    return flatten(target, {})


def parse_document(
    response: FetchedResponse,
) -> tuple[list[Any], dict[tuple[str, str], dict[str, Any]], str | None]:
    """The data list, included objects by (type, id) and next link of a JSON:API collection document."""
    try:
        body = json.loads(response.content)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponse(f"{response.url}: not a JSON:API document: {exc}") from exc
    if not isinstance(body, dict):
        raise MalformedResponse(f"{response.url}: JSON:API document is not an object")
    if "errors" in body and "data" not in body:
        raise MalformedResponse(f"{response.url}: JSON:API errors: {json.dumps(body['errors'])[:300]}")
    data = body.get("data")
    if not isinstance(data, list):
        raise MalformedResponse(f"{response.url}: JSON:API document without a data list")
    included: dict[tuple[str, str], dict[str, Any]] = {}
    for item in body.get("included") or []:
        if isinstance(item, dict) and "type" in item and "id" in item:
            included[(str(item["type"]), str(item["id"]))] = item
    links = body.get("links")
    next_link = links.get("next") if isinstance(links, dict) else None
    if isinstance(next_link, dict):
        next_link = next_link.get("href")
    return data, included, next_link if isinstance(next_link, str) and next_link else None


class DrupalJsonApiOptions(SourceOptions):
    """The options of a ``drupal-jsonapi`` source."""

    locale: StrictStr = "en"
    """The language prefix of the site's JSON:API (``/fr/jsonapi/...``), also the records' language."""
    page_size: StrictInt = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    """Nodes asked for per page (Drupal caps it at 50)."""

    @field_validator("locale")
    @classmethod
    def _language_code(cls, value: str) -> str:
        if not value.replace("-", "").isalpha() or len(value) > 12:
            raise ValueError(f"locale must be a language code such as 'en', got {value!r}")
        return value


class DrupalJsonApiHarvester:
    """Harvests the ``node/content`` nodes of one Drupal (Bioland) site; each node becomes a RawRecord."""

    def __init__(
        self, spec: SourceSpec[DrupalJsonApiOptions], policy: HttpPolicy, client: httpx.Client | None = None
    ) -> None:
        self.spec = spec
        self.policy = policy
        self._client = client
        self.locale = spec.options.locale
        self.page_size = spec.options.page_size
        self.context = place_context(spec) | {"locale": self.locale}

    def first_url(self, state: HarvestState) -> str:
        """The first page's URL: the collection, its include, sort, page size and incremental filter."""
        params: list[tuple[str, str]] = [
            ("include", "field_type_placement"),
            ("sort", "changed,drupal_internal__nid"),
            ("page[limit]", str(self.page_size)),
        ]
        if state.since is not None:
            since = state.since if state.since.tzinfo else state.since.replace(tzinfo=UTC)
            params += [
                ("filter[since][condition][path]", "changed"),
                ("filter[since][condition][operator]", ">="),
                ("filter[since][condition][value]", str(int(since.timestamp()))),
            ]
        return f"{self.spec.url.rstrip('/')}/{self.locale}/jsonapi/node/content?{urlencode(params)}"

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        """Follow ``links.next`` from the first page; yield one RawRecord or RecordFailure per node."""
        if urlsplit(self.spec.url).scheme.lower() not in ("http", "https"):
            raise ConfigurationError(f"{self.spec.id}: site URL must be http(s), got {self.spec.url!r}")
        client = self._client or make_client(self.policy)
        seen_pages: set[str] = set()
        url: str | None = self.first_url(state)
        position = 0
        try:
            while url is not None:
                if len(seen_pages) >= MAX_PAGES or url in seen_pages:
                    self._note(state, f"{url}: paging stopped (loop or more than {MAX_PAGES} pages)")
                    return
                seen_pages.add(url)
                response = fetch(
                    client, self.policy, url, headers={"Accept": ACCEPT}, on_response=state.count_response
                )
                raise_for_status(response)
                data, included, next_link = parse_document(response)
                for item in data:
                    position += 1
                    yield self._record(position, item, included, state)
                url = self._next(response.url, next_link, state)
        finally:
            if self._client is None:
                client.close()

    def _next(self, current: str, next_link: str | None, state: HarvestState) -> str | None:
        if next_link is None:
            return None
        absolute = urljoin(current, next_link)
        if urlsplit(absolute).netloc != urlsplit(current).netloc:
            self._note(state, f"{current}: links.next leaves the site ({absolute}); paging stopped")
            return None
        return absolute

    def _note(self, state: HarvestState, note: str) -> None:
        state.notes.append(f"{self.spec.id}: {note}")
        logger.warning("%s: %s", self.spec.id, note)

    def _record(
        self, position: int, item: Any, included: dict[tuple[str, str], dict[str, Any]], state: HarvestState
    ) -> HarvestItem:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            return RecordFailure(self.spec.id, None, f"node #{position} has no JSON:API id")
        if item.get("type") != NODE_TYPE:
            message = f"unknown JSON:API type {item.get('type')!r} (expected {NODE_TYPE}); skipped"
            if message not in state.notes:
                state.notes.append(message)
            return RecordFailure(self.spec.id, item["id"], message, severity="warning")
        node = flatten(item, included)
        payload = {"node": node, "context": self.context}
        return RawRecord(
            self.spec.id, item["id"], CONTENT_TYPE, json_payload(payload), _changed(node.get("changed"))
        )


def _changed(value: Any) -> datetime | None:
    """Drupal's ``changed``: RFC 3339 text in JSON:API, Unix seconds in some serialisers."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return parse_solr_datetime(value)
