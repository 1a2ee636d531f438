"""The cbd-index crosswalk against real CBD index documents (tests/fixtures/cbd, see PROVENANCE.tsv).

Expectations are read from each payload here, field by field, not from the crosswalk.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from harvesters.cbd_index import CONTENT_TYPE
from harvesters.records import RawRecord
from normalizers.cbd_index import normalize_cbd_index, schema_type
from normalizers.dispatch import CROSSWALKS, normalize
from normalizers.errors import InvalidRecord, SkipRecord
from normalizers.resource import resource_id

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cbd"
LANGS = ("ar", "en", "es", "fr", "ru", "zh")


def meeting_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = json.loads(
        (FIXTURES / "index_raw_docs_schema_meeting.json").read_text("utf-8")
    )
    return docs


def ort_docs() -> list[dict[str, Any]]:
    examples = json.loads((FIXTURES / "index_select_examples_from_api_docs_ort.json").read_text("utf-8"))
    unique: dict[str, dict[str, Any]] = {}
    for example in examples["examples"].values():
        for doc in example["example_response"]["response"]["docs"]:
            unique.setdefault(doc["uniqueIdentifier_s"], doc)
    return list(unique.values())


def raw_of(doc: Any, native_id: str = "doc-1") -> RawRecord:
    return RawRecord("cbd", native_id, CONTENT_TYPE, json.dumps(doc, ensure_ascii=False).encode("utf-8"))


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def expected_titles(doc: dict[str, Any], suffix: str) -> dict[str, str]:
    english = doc.get(f"title_EN_{suffix}") or doc.get(f"title_{suffix}")
    out = {"en": english}
    for lang in LANGS:
        value = doc.get(f"title_{lang.upper()}_{suffix}")
        if lang != "en" and value and value != english:
            out[lang] = value
    return out


def gbf_ids(doc: dict[str, Any], prefix: str) -> list[str]:
    found = {v for k, vs in doc.items() if k.endswith("_REL_ss") for v in vs if v.startswith(prefix)}
    return sorted(found)


@pytest.mark.parametrize("doc", meeting_docs(), ids=lambda d: d["symbol_s"])
def test_meeting_documents_field_by_field(doc: dict[str, Any]) -> None:
    resource = normalize_cbd_index(raw_of(doc, doc["identifier_s"]), "cbd-index")
    assert resource.id == resource_id("cbd", doc["identifier_s"])
    assert resource.type == "meeting"
    assert resource.url == doc["url_ss"][0]
    assert resource.title == expected_titles(doc, "t")
    assert resource.modified == instant(doc["updatedDate_dt"])
    assert resource.published == instant(doc["createdDate_dt"]).date()
    assert resource.countries == [c.upper() for c in doc.get("hostGovernments_ss", [])]
    assert resource.gbf_targets == gbf_ids(doc, "GBF-TARGET-")
    assert resource.gbf_goals == gbf_ids(doc, "GBF-GOAL-")
    subjects = [json.loads(t)["en"] for t in doc.get("themes_CEN_ss", [])]
    assert resource.subjects == subjects
    assert resource.provenance.protocol == "cbd-index"
    assert resource.provenance.content_type == CONTENT_TYPE


def test_copied_english_is_not_labelled_as_a_translation() -> None:
    # CBD quirk: untranslated meetings carry the English title in every title_XX field.
    doc = meeting_docs()[0]
    assert all(doc[f"title_{lang.upper()}_t"] == doc["title_EN_t"] for lang in LANGS)
    assert normalize_cbd_index(raw_of(doc)).title == {"en": doc["title_EN_t"]}


def test_ort_documents_types_titles_and_countries() -> None:
    seen: set[str] = set()
    for doc in ort_docs():
        resource = normalize_cbd_index(raw_of(doc, doc["uniqueIdentifier_s"]))
        schema = doc["schema_s"]
        expected_type = (
            "national-report"
            if schema.startswith("nationalReport")
            else "national-target"
            if schema.startswith("nationalTarget")
            else "other"  # focalPoint: a schema without a resource type
        )
        assert resource.type == expected_type, schema
        assert resource.title == expected_titles(doc, "s")
        assert resource.countries == [doc["government_s"].upper()]
        assert resource.url == doc["url_ss"][0]
        seen.add(resource.type)
    assert seen == {"national-report", "national-target", "other"}


def test_real_translations_are_kept_by_language() -> None:
    doc = next(d for d in ort_docs() if d["schema_s"] == "nationalTarget7")
    assert doc["title_AR_s"] != doc["title_EN_s"]
    title = normalize_cbd_index(raw_of(doc)).title
    assert title["en"] == doc["title_EN_s"]
    assert title["ar"] == doc["title_AR_s"]


@pytest.mark.parametrize(
    ("schema", "kind"),
    [
        ("notification", "notification"),
        ("meeting", "meeting"),
        ("decision", "decision"),
        ("nationalReport", "national-report"),
        ("nationalReport6", "national-report"),
        ("nationalReport7", "national-report"),
        ("nbsap", "nbsap"),
        ("nationalTarget7", "national-target"),
        ("resource", "document"),
        ("lwProject", "other"),
        (None, "other"),
    ],
)
def test_schema_types(schema: str | None, kind: str) -> None:
    assert schema_type(schema) == kind


def test_json_in_string_fields_are_decoded_and_bad_json_ignored() -> None:
    doc = dict(meeting_docs()[0])
    themes = list(doc["themes_CEN_ss"])
    doc["themes_CEN_ss"] = ["{not json", *themes[1:]]
    doc["government_CEN_s"] = doc["eventCountry_CEN_s"]  # '{"symbol":"am","en":"Armenia"}'
    del doc["url_ss"]
    doc["documentLinks_s"] = json.dumps([{"url": "https://www.cbd.int/meetings/COP-17", "name": "COP-17"}])
    resource = normalize_cbd_index(raw_of(doc))
    assert resource.subjects == [json.loads(t)["en"] for t in themes[1:]]
    assert resource.publisher == json.loads(doc["eventCountry_CEN_s"])["en"]
    assert "AM" in resource.countries
    assert resource.url == "https://www.cbd.int/meetings/COP-17"
    doc["documentLinks_s"] = '[{"url": "https://www.cbd.int/x"'  # truncated JSON
    doc["government_CEN_s"] = "{oops"
    broken = normalize_cbd_index(raw_of(doc))
    assert broken.url is None and broken.publisher is None
    assert broken.title == {"en": doc["title_EN_t"]}  # the rest of the record is kept


def test_files_ss_links_prefer_english() -> None:
    doc = {k: v for k, v in meeting_docs()[0].items() if k != "url_ss"}
    doc["schema_s"] = "notification"
    doc["files_ss"] = [
        json.dumps(
            {"url": "https://www.cbd.int/doc/notifications/2024/ntf-2024-001-fr.pdf", "language": "fr"}
        ),
        json.dumps(
            {"url": "https://www.cbd.int/doc/notifications/2024/ntf-2024-001-en.pdf", "language": "en"}
        ),
    ]
    doc["date_dt"] = "2024-01-03T00:00:00Z"
    resource = normalize_cbd_index(raw_of(doc))
    assert resource.type == "notification"
    assert resource.url == "https://www.cbd.int/doc/notifications/2024/ntf-2024-001-en.pdf"
    assert resource.published == date(2024, 1, 3)


def test_changed_field_shapes_do_not_crash() -> None:
    doc = dict(meeting_docs()[0])
    english = doc["title_EN_t"]
    doc["title_EN_t"] = [english, "second"]  # a list where a string was
    doc["title_FR_t"] = {"unexpected": "object"}
    doc["title_FR_s"] = "Dix-septième réunion"
    doc["hostGovernments_ss"] = "am"  # a string where a list was
    doc["url_ss"] = "https://www.cbd.int/meetings/COP-17"
    doc["themes_REL_ss"] = "GBF-TARGET-012"  # ORT's three-digit spelling
    doc["updatedDate_dt"] = 20250723
    resource = normalize_cbd_index(raw_of(doc))
    assert resource.title["en"] == english
    assert resource.title["fr"] == "Dix-septième réunion"
    assert resource.countries == ["AM"]
    assert resource.url == "https://www.cbd.int/meetings/COP-17"
    assert "GBF-TARGET-12" in resource.gbf_targets
    assert resource.modified is None


def test_unknown_schema_and_sparse_document_is_still_a_resource() -> None:
    resource = normalize_cbd_index(raw_of({"id": "x", "schema_s": "somethingNew", "government_s": "zz"}))
    assert resource.type == "other"
    assert resource.title == {} and resource.countries == []


def test_unreadable_payloads_and_deletions() -> None:
    with pytest.raises(InvalidRecord):
        normalize_cbd_index(RawRecord("cbd", "x", CONTENT_TYPE, b"{nope"))
    with pytest.raises(InvalidRecord):
        normalize_cbd_index(RawRecord("cbd", "x", CONTENT_TYPE, b"[1, 2]"))
    with pytest.raises(SkipRecord):
        normalize_cbd_index(RawRecord("cbd", "x", CONTENT_TYPE, b"", deleted=True))


def test_dispatch_routes_the_content_type() -> None:
    assert CROSSWALKS[CONTENT_TYPE] == "normalizers.cbd_index:normalize_cbd_index"
    doc = meeting_docs()[0]
    resource = normalize(raw_of(doc, doc["id"]), "cbd-index")
    assert resource.type == "meeting"
    assert set(gbf_ids(doc, "GBF-TARGET-")) <= set(resource.gbf_targets)


def test_indicators_and_regions_come_from_the_rel_expansions() -> None:
    groups = {
        g["identifier"]
        for g in json.loads((FIXTURES / "cbd_regional_groups_compiled.json").read_text("utf-8"))[
            "regionalGroups"
        ]
    }
    ort = json.loads((FIXTURES / "ort_gbf_indicators_identifier_code_title.json").read_text("utf-8"))
    known_ids = {i["identifier"] for i in ort}
    by_code = {}
    for item in ort:
        by_code.setdefault(item["code"], item["identifier"])
    checked_groups = 0
    for doc in meeting_docs():
        named = [v for k, vs in doc.items() if k.endswith("_REL_ss") for v in vs]
        expected_indicators = set()
        for value in named:
            if value in known_ids:
                expected_indicators.add(value)
            elif value.startswith("GBF-INDICATOR-") and value[len("GBF-INDICATOR-") :] in by_code:
                expected_indicators.add(by_code[value[len("GBF-INDICATOR-") :]])
        resource = normalize_cbd_index(raw_of(doc, doc["id"]))
        assert set(resource.gbf_indicators) == expected_indicators
        named_groups = {v for v in named if v in groups}
        assert named_groups <= set(resource.regions)
        checked_groups += len(named_groups)
    assert checked_groups > 0
    cop17 = next(d for d in meeting_docs() if "am" in d.get("hostGovernments_ss", []))
    resource = normalize_cbd_index(raw_of(cop17, cop17["id"]))
    assert "942E40CA-4C23-4D3A-A0B4-736CD0EFCD54" in resource.regions  # Armenia: Central and Eastern Europe
    assert "145" in resource.regions  # UN M49 Western Asia


def test_eu_is_a_country() -> None:
    resource = normalize_cbd_index(raw_of({"id": "x", "schema_s": "nationalReport7", "government_s": "eu"}))
    assert resource.countries == ["EU"]
