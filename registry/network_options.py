"""Options of the CBD-network protocols, and the place (country, regions) any source may be attached to."""

from __future__ import annotations

from typing import Any

from normalizers.vocabularies.countries import country_id
from normalizers.vocabularies.regions import region_id

# Options each protocol understands, besides the place options every source accepts.
NETWORK_PROTOCOL_OPTIONS: dict[str, set[str]] = {
    "drupal-jsonapi": {"locale", "page_size", "title"},
}
# A source's own country and regions: records that name none are attached to them (enrichment).
PLACE_OPTIONS = frozenset({"country", "regions"})


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
