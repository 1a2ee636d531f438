"""Vocabularies against the real CBD data: indicators, countries, regions, resource types.

Every expectation is read from the CBD payloads in tests/fixtures/cbd here (see PROVENANCE.tsv),
independently of the vocabulary modules.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pycountry
import pytest

from normalizers.vocabularies.countries import cbd_code, countries, country, country_id, regions_of
from normalizers.vocabularies.indicators import gbf_indicators, indicator, indicator_id
from normalizers.vocabularies.regions import CBD_REGIONAL_GROUPS_DOMAIN, region_id, regions
from normalizers.vocabularies.resource_types import RESOURCE_TYPES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cbd"


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text("utf-8"))


def ort_indicators() -> list[dict[str, str]]:
    items: list[dict[str, str]] = load("ort_gbf_indicators_identifier_code_title.json")
    return items


def test_every_indicator_identifier_of_the_ort_list_is_known_once() -> None:
    identifiers = list(dict.fromkeys(item["identifier"] for item in ort_indicators()))
    assert len(ort_indicators()) == 204
    assert [i.identifier for i in gbf_indicators()] == identifiers  # 219 is listed twice: kept once


def test_indicator_kinds_follow_the_monitoring_framework_codes() -> None:
    # headline: "A.1", "10.2"; binary: KMGBF-INDICATOR-BIN-*; component ".CT.", complementary ".CY."
    expected: dict[str, str] = {}
    for item in ort_indicators():
        code = item["code"]
        if item["identifier"].startswith("KMGBF-INDICATOR-BIN"):
            kind = "binary"
        elif ".CT." in code:
            kind = "component"
        elif ".CY." in code:
            kind = "complementary"
        else:
            kind = "headline"
        expected.setdefault(item["identifier"], kind)
    assert {i.identifier: i.kind for i in gbf_indicators()} == expected
    assert sum(1 for kind in expected.values() if kind == "binary") == 15


def test_indicator_ids_resolve_from_identifiers_and_codes() -> None:
    first_code: dict[str, str] = {}
    for item in ort_indicators():
        first_code.setdefault(item["code"], item["identifier"])
        assert indicator_id(item["identifier"]) == item["identifier"]
        assert indicator_id(item["identifier"].lower()) == item["identifier"]
    for code, identifier in first_code.items():
        assert indicator_id(code) == identifier
    assert indicator_id("GBF-INDICATOR-10.CY.3") == indicator_id("10.CY.3") is not None  # index code form
    assert indicator_id("Z.9") is None


def test_indicator_goal_and_target_come_from_the_code() -> None:
    for item in ort_indicators():
        found = indicator(item["identifier"])
        assert found is not None
        head = found.code.split(".", 1)[0]
        if re.fullmatch(r"[A-D]", head):
            assert (found.goal, found.target) == (f"GBF-GOAL-{head}", None)
        else:
            assert (found.goal, found.target) == (None, f"GBF-TARGET-{int(head):02d}")


def test_indicator_labels_take_every_language_the_thesaurus_gives() -> None:
    examples = load("thesaurus_domain_term_examples_from_api_docs.json")["examples"]
    headline = examples["/api/v2013/thesaurus/domains/GBF-HEADLINE-INDICATORS/terms"]["example_response"][0]
    found = indicator(headline["identifier"])
    assert found is not None
    for lang, text in headline["title"].items():
        if lang != "en":
            assert found.title[lang] == " ".join(text.split())
    ort_title = next(i["title"] for i in ort_indicators() if i["identifier"] == headline["identifier"])
    assert found.title["en"] == ort_title
    assert set(found.title) == {"en", *headline["title"]}


def test_countries_cover_iso_3166_with_cbd_codes_and_the_eu() -> None:
    alpha2 = {str(c.alpha_2) for c in pycountry.countries}
    assert set(countries()) == alpha2 | {"EU"}
    assert country_id("eu") == "EU" and cbd_code("EU") == "eu"
    for code in alpha2:
        assert country_id(code.lower()) == code
        assert cbd_code(code) == code.lower()
    assert country_id("KEN") == "KE"
    assert country_id("xx") is None


def test_country_labels_match_the_cbd_countries_api_in_six_languages() -> None:
    sample = load("countries_v2013_CA_example_from_apidoc.json")
    found = country(sample["code"])
    assert found is not None
    assert found.name == sample["name"]


def test_cbd_regional_groups_match_the_compiled_thesaurus_and_the_armenia_expansion() -> None:
    compiled = load("cbd_regional_groups_compiled.json")
    assert compiled["cbdRegionalGroupsDomain"] == CBD_REGIONAL_GROUPS_DOMAIN
    known = regions()
    for group in compiled["regionalGroups"]:
        assert known[group["identifier"]].name["en"] == group["name"]
        assert known[group["identifier"]].scheme == "cbd-group"
    expansion = compiled["exampleCountryExpansion"]["am"]
    armenia = country("am")
    assert armenia is not None and armenia.cbd_group in expansion
    group_ids = {g["identifier"] for g in compiled["regionalGroups"]}
    assert {g for g in expansion if g in group_ids} == {armenia.cbd_group}


@pytest.mark.parametrize(
    ("code", "m49_chain", "group_name"),
    [
        ("ke", ["014", "202", "002"], "Africa"),  # UN M49: Eastern Africa < Sub-Saharan Africa < Africa
        ("br", ["005", "419", "019"], "Latin America and the Caribbean"),
        ("fr", ["155", "150"], "Western Europe and Others"),
        ("cn", ["030", "142"], "Asia and the Pacific"),
        ("pl", ["151", "150"], "Central and Eastern Europe"),
        ("fj", ["054", "009"], "Asia and the Pacific"),
    ],
)
def test_country_regions(code: str, m49_chain: list[str], group_name: str) -> None:
    compiled = {
        g["name"]: g["identifier"] for g in load("cbd_regional_groups_compiled.json")["regionalGroups"]
    }
    group = compiled[f"CBD Regional Groups - {group_name}"]
    assert regions_of([code]) == [*m49_chain, group]


def test_every_un_member_has_one_group_and_five_groups_are_used() -> None:
    groups = {c.cbd_group for c in countries().values() if c.cbd_group}
    assert len(groups) == 5
    assert sum(1 for c in countries().values() if c.cbd_group) >= 193


def test_m49_regions_carry_six_language_labels_and_resolve_by_code_and_slug() -> None:
    eastern_africa = regions()["014"]
    assert set(eastern_africa.name) == {"ar", "en", "es", "fr", "ru", "zh"}
    assert region_id("14") == region_id("M49:014") == region_id("eastern-africa") == "014"
    assert region_id("asia-pacific") == "5E5B7AA4-2420-4147-825B-0820F7EC5A4B"
    assert region_id("nowhere") is None


def test_resource_types_are_the_issue_list() -> None:
    issue = (
        "national report, NBSAP, national target, decision, notification, meeting, document, news, event, "
        "indicator, dataset, tool, training material, organisation, case study, other"
    )
    expected = tuple(w.strip().lower().replace(" ", "-") for w in issue.split(","))
    assert expected == RESOURCE_TYPES
