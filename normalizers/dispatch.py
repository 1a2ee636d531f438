"""Which crosswalk reads which content type, and the enrichment every Resource gets."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import Any

from harvesters.records import RawRecord
from normalizers.enrichment import enrich_network, with_source_place
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.resource import Resource

Crosswalk = Callable[[RawRecord, str], Resource]
Place = tuple[Any, Any]  # a source's configured country and regions
Outcome = Resource | str | None  # a record normalised, a record error ("InvalidRecord: ..."), None: skipped

CROSSWALKS: dict[str, str] = {
    "application/oai-pmh+xml; prefix=oai_dc": "normalizers.oai_dc:normalize_oai_dc",
    "application/x-feed-entry+json": "normalizers.feed_entry:normalize_feed_entry",
    "application/x-cbd-index+json": "normalizers.cbd_index:normalize_cbd_index",
    "application/x-drupal-jsonapi-node+json": "normalizers.drupal_jsonapi:normalize_drupal_node",
    "application/x-odata-entity+json": "normalizers.odata:normalize_odata_entity",
    "application/x-web-page+json": "normalizers.web_page:normalize_web_page",
    "application/x-gkss-resource+json": "normalizers.gkss_native:normalize_gkss",
}


@cache
def crosswalk_for(content_type: str) -> Crosswalk:
    """The crosswalk registered for a content type; InvalidRecord when there is none."""
    target = CROSSWALKS.get(content_type)
    if target is None:
        raise InvalidRecord(f"no crosswalk for content type {content_type!r}")
    module_name, _, name = target.partition(":")
    function: Crosswalk = getattr(importlib.import_module(module_name), name)
    return function


def normalize(raw: RawRecord, protocol: str) -> Resource:
    """Crosswalk a raw record to a Resource and enrich it (GBF tagging, languages)."""
    if raw.deleted:
        raise SkipRecord("deleted record")
    return enrich_network(crosswalk_for(raw.content_type)(raw, protocol))  # runs tagging.enrich too


def normalize_placed(raw: RawRecord, protocol: str, place: Place) -> Resource:
    """Crosswalk and enrich one record, placed in its source's country/regions when it names none.

    Raises SkipRecord (nothing to keep) or InvalidRecord (a record error)."""
    resource = normalize(raw, protocol)
    return with_source_place(resource, *place) if place != (None, None) else resource


def normalize_outcomes(
    normalise: Callable[[RawRecord, str, Place], Resource], raws: list[RawRecord], protocol: str, place: Place
) -> list[Outcome]:
    """Each record's outcome, in order: its Resource, its record error, or None when it is skipped."""
    out: list[Outcome] = []
    for raw in raws:
        try:
            out.append(normalise(raw, protocol, place))
        except SkipRecord:
            out.append(None)
        except InvalidRecord as exc:
            out.append(f"InvalidRecord: {exc}")
    return out
