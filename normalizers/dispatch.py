"""Which crosswalk reads which content type, and the enrichment every Resource gets."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache

from harvesters.records import RawRecord
from normalizers.enrichment import enrich_network
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.resource import Resource

Crosswalk = Callable[[RawRecord, str], Resource]

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
