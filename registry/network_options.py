"""Options of the CBD-network protocols, and the place (country, regions) any source may be attached to."""

from __future__ import annotations

from typing import Any

from normalizers.vocabularies.countries import country_id
from normalizers.vocabularies.regions import region_id

CRAWL_OPTIONS = {
    "allow",
    "deny",
    "selectors",
    "per_host",
    "delay",
    "max_pages",
    "max_seconds",
    "depth",
    "cache_dir",
    "title",
}
# Options each protocol understands, besides the place options every source accepts.
NETWORK_PROTOCOL_OPTIONS: dict[str, set[str]] = {
    "drupal-jsonapi": {"locale", "page_size", "title"},
    "odata": {"entity_set", "expand", "filter", "orderby", "page_size", "title"},
    "sitemap": CRAWL_OPTIONS,
    "scrape": CRAWL_OPTIONS,
}
REQUIRED_OPTIONS: dict[str, set[str]] = {"odata": {"entity_set"}}
# A source's own country and regions: records that name none are attached to them (enrichment).
PLACE_OPTIONS = frozenset({"country", "regions", "enabled"})  # enabled: false until an admin enables


def check_network_options(protocol: str, options: dict[str, Any]) -> None:
    """Required options present, and the place options valid."""
    missing = REQUIRED_OPTIONS.get(protocol, set()) - set(options)
    if missing:
        raise ValueError(f"{protocol} needs the option(s) {', '.join(sorted(missing))}")
    check_place(options)
    if not isinstance(options.get("enabled", True), bool):
        raise ValueError("enabled must be true or false")


def source_enabled(options: dict[str, Any]) -> bool:
    """A source takes part in ``gkss harvest --all`` unless it says ``enabled: false`` (seeded, off)."""
    return options.get("enabled", True) is not False


def check_place(options: dict[str, Any]) -> None:
    """Refuse a ``country`` that is no ISO/CBD code and ``regions`` that are no M49 code or CBD group."""
    country = options.get("country")
    if country is not None and (not isinstance(country, str) or country_id(country) is None):
        raise ValueError(f"country must be an ISO 3166-1 alpha-2 or CBD code, got {country!r}")
    regions = options.get("regions")
    if regions is None:
        return
    values = [regions] if isinstance(regions, str) else regions
    if not isinstance(values, list) or not all(isinstance(v, str) and region_id(v) for v in values):
        raise ValueError(f"regions must be UN M49 codes or CBD regional groups, got {regions!r}")
