"""Build normalizers/data/countries.json: ISO 3166-1 countries, UN M49 regions, CBD groups, names.

Run by hand when the standards change (not at install time)::

    pip install babel==2.18.0 country-converter==1.3.2
    python -m normalizers.vocabularies.build_countries > normalizers/data/countries.json

Inputs: pycountry (ISO 3166-1 codes), the ``UNregion`` and ``UNmember`` columns of country-converter's
``country_data.tsv`` (country -> UN M49 sub-region name, UN membership), CLDR names from babel
(countries and M49 regions in ar/en/es/fr/ru/zh). The M49 code tree and the CBD regional group rule
below are written from the UNSD M49 standard and the UN regional groups.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pycountry
from babel import Locale

LANGS = ("ar", "en", "es", "fr", "ru", "zh")

# M49 leaf region name -> (leaf code, intermediate/sub-region chain up to the region), UNSD M49.
M49_TREE: dict[str, list[str]] = {
    "Northern Africa": ["015", "002"],
    "Eastern Africa": ["014", "202", "002"],
    "Middle Africa": ["017", "202", "002"],
    "Southern Africa": ["018", "202", "002"],
    "Western Africa": ["011", "202", "002"],
    "Caribbean": ["029", "419", "019"],
    "Central America": ["013", "419", "019"],
    "South America": ["005", "419", "019"],
    "Northern America": ["021", "019"],
    "Central Asia": ["143", "142"],
    "Eastern Asia": ["030", "142"],
    "South-eastern Asia": ["035", "142"],
    "Southern Asia": ["034", "142"],
    "Western Asia": ["145", "142"],
    "Eastern Europe": ["151", "150"],
    "Northern Europe": ["154", "150"],
    "Southern Europe": ["039", "150"],
    "Western Europe": ["155", "150"],
    "Australia and New Zealand": ["053", "009"],
    "Melanesia": ["054", "009"],
    "Micronesia": ["057", "009"],
    "Polynesia": ["061", "009"],
    "Antarctica": ["010"],
}
FIXES = {"GB": "Northern Europe", "GR": "Southern Europe"}  # rows keyed by a regex in the input file

AFRICA, ASIA_PACIFIC, CEE, GRULAC, WEOG = (
    "D50FE62D-8A5E-4407-83F8-AFCAAF708EA4",
    "5E5B7AA4-2420-4147-825B-0820F7EC5A4B",
    "942E40CA-4C23-4D3A-A0B4-736CD0EFCD54",
    "3D0CCC9A-A0A1-4399-8FA2-41D4D649DB0E",
    "0EC2E5AE-25F3-4D3A-B71F-8019BB62ED4B",
)
CEE_MEMBERS = frozenset("AL AM AZ BY BA BG HR CZ EE GE HU LV LT ME MK PL MD RO RU RS SK SI UA".split())  # noqa: SIM905
# the Eastern European Group of the UN, 23 members
WEOG_MEMBERS = frozenset(
    "AD AT BE DK FI FR DE GR IS IE IT LI LU MT MC NL NO PT SM ES SE CH TR GB AU CA IL NZ US".split()  # noqa: SIM905
)
# the Western European and Others Group (the US sits with it)
NON_UN_PARTIES = {"CK", "NU"}  # Parties to the CBD that are not UN members (Asia-Pacific group)


def cbd_group(code: str, chain: list[str], un_member: bool) -> str | None:
    if not un_member and code not in NON_UN_PARTIES:
        return None
    if code in CEE_MEMBERS:
        return CEE
    if code in WEOG_MEMBERS:
        return WEOG
    if "002" in chain:
        return AFRICA
    if "419" in chain:
        return GRULAC
    if "142" in chain or "009" in chain:
        return ASIA_PACIFIC
    return None


def names(code: str) -> dict[str, str]:
    out = {}
    for lang in LANGS:
        name = Locale.parse(lang).territories.get(code)
        if name:
            out[lang] = name
    return out


def main() -> None:
    spec = importlib.util.find_spec("country_converter")  # only its data file is read (no pandas)
    assert spec is not None and spec.submodule_search_locations
    path = Path(spec.submodule_search_locations[0]) / "country_data.tsv"
    rows: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows[row["ISO2"]] = row
    countries = []
    for country in sorted(pycountry.countries, key=lambda c: c.alpha_2):
        code = str(country.alpha_2)
        row = rows.get(code) or next(r for k, r in rows.items() if k.startswith(f"^{code}$"))
        leaf = FIXES.get(code) or row["UNregion"]
        chain = M49_TREE[leaf] if leaf else []
        un_member = bool(row.get("UNmember", "").strip())
        countries.append(
            {
                "iso2": code,
                "iso3": str(country.alpha_3),
                "m49": str(country.numeric),
                "cbd": code.lower(),
                "m49_regions": chain,
                "cbd_group": cbd_group(code, chain, un_member),
                "name": names(code) or {"en": str(country.name)},
            }
        )
    countries.append(
        {"iso2": "EU", "iso3": None, "m49": None, "cbd": "eu", "m49_regions": [], "cbd_group": None,
         "name": names("EU")}
    )  # fmt: skip
    regions = sorted({code for chain in M49_TREE.values() for code in chain} | {"001"})
    data = {
        "_provenance": __doc__.strip().splitlines()[0] + " See normalizers/data/PROVENANCE.tsv.",
        "m49_regions": [{"code": code, "name": names(code)} for code in regions],
        "countries": countries,
    }
    json.dump(data, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
