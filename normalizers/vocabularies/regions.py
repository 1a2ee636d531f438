"""Regions: UN M49 regions (three-digit codes) and the five CBD regional groups (thesaurus GUIDs)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from normalizers.vocabularies.countries import country_data


@dataclass(frozen=True, slots=True)
class Region:
    """A region: ``scheme`` is ``m49`` or ``cbd-group``; ``identifier`` is the M49 code or the GUID."""

    identifier: str
    scheme: str
    name: dict[str, str]
    slug: str


# cbd_regional_groups_compiled.json (shared/testdata/cbd): identifiers and names; slugs are the hub's.
CBD_REGIONAL_GROUPS: tuple[Region, ...] = (
    Region(
        "D50FE62D-8A5E-4407-83F8-AFCAAF708EA4", "cbd-group", {"en": "CBD Regional Groups - Africa"}, "africa"
    ),
    Region(
        "5E5B7AA4-2420-4147-825B-0820F7EC5A4B",
        "cbd-group",
        {"en": "CBD Regional Groups - Asia and the Pacific"},
        "asia-pacific",
    ),
    Region(
        "942E40CA-4C23-4D3A-A0B4-736CD0EFCD54",
        "cbd-group",
        {"en": "CBD Regional Groups - Central and Eastern Europe"},
        "central-eastern-europe",
    ),
    Region(
        "3D0CCC9A-A0A1-4399-8FA2-41D4D649DB0E",
        "cbd-group",
        {"en": "CBD Regional Groups - Latin America and the Caribbean"},
        "latin-america-caribbean",
    ),
    Region(
        "0EC2E5AE-25F3-4D3A-B71F-8019BB62ED4B",
        "cbd-group",
        {"en": "CBD Regional Groups - Western Europe and Others"},
        "western-europe-others",
    ),
)
CBD_REGIONAL_GROUPS_DOMAIN = "E6566232-EE63-4C7B-AF8B-46A26CC295A5"


def _slug(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


@cache
def regions() -> dict[str, Region]:
    """Every region keyed by identifier: the M49 tree (``001`` ... ``014`` Eastern Africa) and the groups."""
    out: dict[str, Region] = {}
    for item in country_data()["m49_regions"]:
        name = dict(item["name"])
        out[item["code"]] = Region(item["code"], "m49", name, _slug(name.get("en", item["code"])))
    for group in CBD_REGIONAL_GROUPS:
        out[group.identifier] = group
    return out


def region_id(value: str) -> str | None:
    """``14``/``014``/``M49:014``, a group GUID or a slug such as ``eastern-africa`` -> the identifier."""
    text = value.strip()
    if text.upper().startswith("M49:"):
        text = text[4:]
    if text.isdigit() and len(text) <= 3:
        text = text.zfill(3)
    known = regions()
    if text in known:
        return text
    upper = text.upper()
    if upper in known:
        return upper
    slug = _slug(text)
    return next((r.identifier for r in known.values() if r.slug == slug), None)
