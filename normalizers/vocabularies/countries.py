"""Countries (ISO 3166-1 alpha-2, CBD lower-case codes, ``eu``) with their UN M49 regions and CBD group."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Country:
    """A country as the hub names it: ``iso2`` upper case; ``cbd`` the CBD thesaurus code (lower case)."""

    iso2: str
    iso3: str | None
    m49: str | None
    cbd: str
    m49_regions: tuple[str, ...]
    cbd_group: str | None
    name: dict[str, str]

    @property
    def regions(self) -> tuple[str, ...]:
        """Every region identifier the country belongs to: its M49 regions, then its CBD group."""
        return (*self.m49_regions, *((self.cbd_group,) if self.cbd_group else ()))


@cache
def country_data() -> dict[str, Any]:
    text = resources.files("normalizers").joinpath("data", "countries.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def countries() -> dict[str, Country]:
    """Every country keyed by its ISO alpha-2 code (plus ``EU``, the European Union, a CBD Party)."""
    out: dict[str, Country] = {}
    for item in country_data()["countries"]:
        out[item["iso2"]] = Country(
            iso2=item["iso2"],
            iso3=item["iso3"],
            m49=item["m49"],
            cbd=item["cbd"],
            m49_regions=tuple(item["m49_regions"]),
            cbd_group=item["cbd_group"],
            name=dict(item["name"]),
        )
    return out


@cache
def _codes() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in countries().values():
        table[country.iso2] = country.iso2
        if country.iso3:
            table[country.iso3] = country.iso2
    return table


def country_id(value: str) -> str | None:
    """``ke``, ``KE``, ``KEN`` or ``eu`` -> ``KE``/``EU``; None when it is no known code."""
    return _codes().get(value.strip().upper())


def country(value: str) -> Country | None:
    """The country a code names, in any accepted form."""
    code = country_id(value)
    return countries()[code] if code else None


def cbd_code(iso2: str) -> str | None:
    """The CBD thesaurus code (lower-case alpha-2, ``eu``) of a country."""
    found = country(iso2)
    return found.cbd if found else None


def regions_of(codes: list[str]) -> list[str]:
    """The M49 regions and CBD groups of the given countries, in first-seen order."""
    out: list[str] = []
    for code in codes:
        found = country(code)
        for region in found.regions if found else ():
            if region not in out:
                out.append(region)
    return out
