"""The Bioland 2 national CHM sites as ready-made ``drupal-jsonapi`` sources, one per country.

Hosts come from bioland-head's domain list (``<iso2>.bl2.chm-cbd.net``, plus ``acb``, the ASEAN Centre
for Biodiversity); each site's default locale from bioland-config (``en`` when the site is not listed
there). A site is attached to its country (the host's code) and, through it, to the country's UN M49
regions and CBD regional group; ``acb`` to South-eastern Asia (M49 ``035``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from normalizers.vocabularies.countries import country
from registry.sources import Source, registered_source

REGIONAL_SITES: dict[str, tuple[str, str]] = {
    "acb": ("035", "ASEAN Centre for Biodiversity clearing-house mechanism"),
}


def _data(name: str) -> Any:
    return json.loads(resources.files("registry").joinpath("data", name).read_text(encoding="utf-8"))


@cache
def bioland_hosts() -> tuple[str, ...]:
    """The 199 Bioland 2 hosts, as listed."""
    return tuple(_data("bioland2_national_chm_hosts.json")["hosts"])


def bioland_sources() -> list[Source]:
    """One source per Bioland 2 host: id ``bioland-<code>``, its locale, country or region and a title."""
    sites: dict[str, Any] = _data("bioland_multisite_sites_config.json")["sites"]
    configs: list[Source] = []
    for host in bioland_hosts():
        code = host.split(".", 1)[0]
        options: dict[str, Any] = {"locale": str(sites.get(code, {}).get("locale") or "en")}
        place = country(code) if code not in REGIONAL_SITES else None
        if place is not None:
            options["country"] = place.iso2
            options["title"] = (
                f"{place.name.get('en', place.iso2)} national clearing-house mechanism (Bioland)"
            )
        elif code in REGIONAL_SITES:
            region, title = REGIONAL_SITES[code]
            options["regions"] = [region]
            options["title"] = title
        else:
            continue
        configs.append(registered_source(f"bioland-{code}", "drupal-jsonapi", f"https://{host}", options))
    return configs
