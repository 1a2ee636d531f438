"""Network enrichment: stated targets first, six-language explicit mentions, language detection, place.

Real payloads from tests/fixtures (CBD meetings, ORT examples, CBD notifications via shared/testdata,
Bioland nodes); expectations are read from them here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harvesters.cbd_index import CONTENT_TYPE as CBD_TYPE
from harvesters.drupal_jsonapi import CONTENT_TYPE as NODE_TYPE
from harvesters.records import RawRecord
from normalizers.dispatch import normalize
from normalizers.enrichment import enrich_network, with_source_place
from normalizers.language_detect import detect_language
from normalizers.resource import Provenance, Resource
from normalizers.target_inference import explicit_targets, keyword_targets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
NOTIFICATIONS = FIXTURES / "cbd" / "notification_titles_2024-2025.json"
LANGS = ("AR", "EN", "ES", "FR", "RU", "ZH")


def resource(**fields: Any) -> Resource:
    provenance = Provenance(source="s", protocol="feed", native_id="n", payload_hash="h", content_type="x")
    return Resource(id="s-1", source="s", native_id="n", provenance=provenance, **fields)


def meeting_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = json.loads(
        (FIXTURES / "cbd" / "index_raw_docs_schema_meeting.json").read_text("utf-8")
    )
    return docs


def test_stated_targets_win_over_targets_named_in_the_text() -> None:
    doc = next(
        d for d in meeting_docs() if any(v.startswith("GBF-TARGET-") for v in d.get("themes_REL_ss", []))
    )
    stated = {
        v for k, vs in doc.items() if k.endswith("_REL_ss") for v in vs if re.fullmatch(r"GBF-TARGET-\d\d", v)
    }
    other = next(n for n in range(1, 24) if f"GBF-TARGET-{n:02d}" not in stated) if len(stated) < 23 else None
    if other is not None:
        doc = {
            **doc,
            "title_t": f"{doc['title_t']} (Target {other} of the Kunming-Montreal Global Biodiversity "
            "Framework)",
        }
        doc["title_EN_t"] = doc["title_t"]
    raw = RawRecord("cbd", doc["id"], CBD_TYPE, json.dumps(doc).encode())
    assert set(normalize(raw, "cbd-index").gbf_targets) == stated


def notifications_naming_targets() -> list[tuple[str, set[str]]]:
    out = []
    for note in json.loads(NOTIFICATIONS.read_text("utf-8")):
        title = note["titleEn"]
        named = re.findall(r"\bTarget (\d{1,2})\b[^.]*Kunming-Montreal Global Biodiversity Framework", title)
        if named:
            out.append((title, {f"GBF-TARGET-{int(n):02d}" for n in named}))
    return out


def test_without_stated_targets_explicit_mentions_in_the_text_are_used() -> None:
    cases = notifications_naming_targets()
    assert len(cases) >= 5
    for title, expected in cases:
        assert set(enrich_network(resource(title={"en": title})).gbf_targets) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Atelier sur la cible 3 du Cadre mondial de la biodiversité de Kunming-Montréal", {"GBF-TARGET-03"}),
        ("Taller sobre la meta 6 del Marco Mundial de Biodiversidad de Kunming-Montreal", {"GBF-TARGET-06"}),
        ("حلقة عمل بشأن الهدف 3 من الإطار العالمي للتنوع البيولوجي", {"GBF-TARGET-03"}),
        ("Семинар по цели 2 Куньминско-Монреальской глобальной рамки", {"GBF-TARGET-02"}),
        ("昆明-蒙特利尔全球生物多样性框架目标3讲习班", {"GBF-TARGET-03"}),
        ("Target 3 of the national strategy", set()),  # no framework named: not a GBF target
        ("目标3讲习班", set()),
    ],
)
def test_explicit_mentions_in_the_six_languages(text: str, expected: set[str]) -> None:
    assert explicit_targets(text) == expected


def test_topic_keywords_are_available_but_not_applied() -> None:
    text = "Regional workshop on invasive alien species"
    assert keyword_targets(text) == {"GBF-TARGET-06"}
    assert enrich_network(resource(title={"en": text})).gbf_targets == []


def test_stated_indicators_imply_their_targets_and_goals() -> None:
    node = {
        "id": "n1",
        "type": "node--content",
        "title": "Red List work",
        "langcode": "en",
        "field_tags": "GBF-INDICATOR-A.1,KMGBF-INDICATOR-BIN-5",
    }
    raw = RawRecord(
        "bioland-ke", "n1", NODE_TYPE, json.dumps({"node": node, "context": {"country": "KE"}}).encode()
    )
    got = normalize(raw, "drupal-jsonapi")
    assert got.gbf_indicators == ["GBF-INDICATOR-A.1", "KMGBF-INDICATOR-BIN-5"]
    assert got.gbf_goals == ["GBF-GOAL-A"] and got.gbf_targets == [
        "GBF-TARGET-05"
    ]  # A.1 -> Goal A; 5.b -> T5


def real_titles() -> list[tuple[str, str]]:
    examples = json.loads(
        (FIXTURES / "cbd" / "index_select_examples_from_api_docs_ort.json").read_text("utf-8")
    )
    titles: dict[tuple[str, str], None] = {}
    for example in examples["examples"].values():
        for doc in example["example_response"]["response"]["docs"]:
            for lang in LANGS:
                if text := doc.get(f"title_{lang}_s"):
                    titles[(text, lang.lower())] = None
    for note in json.loads(NOTIFICATIONS.read_text("utf-8")):
        titles[(note["titleEn"], "en")] = None
        for lang, key in (("fr", "titleFr"), ("es", "titleEs")):
            if note[key] != note["titleEn"]:
                titles[(note[key], lang)] = None
    return list(titles)


def test_language_detection_on_real_titles_is_never_wrong_and_rarely_unsure() -> None:
    titles = real_titles()
    results = [(detect_language(text), lang) for text, lang in titles]
    wrong = [(got, lang) for got, lang in results if got is not None and got != lang]
    unsure = sum(1 for got, _ in results if got is None)
    assert len(titles) >= 20 and {lang for _, lang in titles} >= {"ar", "en", "es", "fr"}
    assert wrong == []
    assert unsure <= 0.1 * len(titles)


def test_und_titles_are_rekeyed_with_the_detected_language() -> None:
    enriched = enrich_network(
        resource(title={"und": "Oficina Federal del Medio Ambiente - Protocolo de Nagoya"})
    )
    assert enriched.title == {"es": "Oficina Federal del Medio Ambiente - Protocolo de Nagoya"}
    assert enriched.languages == ["es"]
    unsure = enrich_network(resource(title={"und": "Red List Index"}))
    assert unsure.title == {"und": "Red List Index"} and unsure.languages == []


def test_regions_follow_countries_and_the_source_place_applies_only_without_countries() -> None:
    assert enrich_network(resource(title={"en": "x"}, countries=["KE"])).regions[:3] == ["014", "202", "002"]
    placed = with_source_place(resource(title={"en": "x"}), "ke", ["asia-pacific"])
    assert placed.countries == ["KE"] and "014" in placed.regions
    assert "5E5B7AA4-2420-4147-825B-0820F7EC5A4B" in placed.regions
    own = with_source_place(resource(title={"en": "x"}, countries=["BR"]), "ke", None)
    assert own.countries == ["BR"] and own.regions == []


def test_inference_never_removes_or_changes_stated_targets() -> None:
    """A record stating Target 6 keeps exactly that, however strongly its text speaks of pollution;
    the same text stating nothing gets an inferred target, apart and with its score."""
    text = "Reducing pesticide use and excess nutrient pollution to levels not harmful to biodiversity"
    stated = enrich_network(resource(title={"en": text}, gbf_targets=["GBF-TARGET-06"]))
    assert stated.gbf_targets == ["GBF-TARGET-06"] and stated.gbf_targets_inferred == {}
    inferred = enrich_network(resource(title={"en": text}))
    assert inferred.gbf_targets == []
    assert list(inferred.gbf_targets_inferred) == ["GBF-TARGET-07"]  # Target 7: pollution, pesticides
    assert 0 < inferred.gbf_targets_inferred["GBF-TARGET-07"] <= 1


def test_an_empty_inferred_field_leaves_the_stored_json_as_it_was() -> None:
    plain = resource(title={"en": "x"})
    assert "gbf_targets_inferred" not in plain.model_dump_json()
    tagged = plain.model_copy(update={"gbf_targets_inferred": {"GBF-TARGET-07": 0.6}})
    assert tagged.content_hash() != plain.content_hash()
    assert type(plain).model_validate_json(tagged.model_dump_json()) == tagged


def test_merged_copies_never_infer_what_another_copy_states() -> None:
    from normalizers.dedup import merge

    text = "Reducing pesticide use and excess nutrient pollution to levels not harmful to biodiversity"
    inferred = enrich_network(resource(title={"en": text}))
    stating = resource(title={"en": text}, gbf_targets=["GBF-TARGET-07"]).model_copy(update={"id": "s-2"})
    merged = merge([inferred, stating])
    assert merged.gbf_targets == ["GBF-TARGET-07"] and merged.gbf_targets_inferred == {}
    alone = merge([inferred, resource(title={"en": "x"}).model_copy(update={"id": "s-3"})])
    assert alone.gbf_targets_inferred == inferred.gbf_targets_inferred
