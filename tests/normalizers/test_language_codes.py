"""One code per language: every language tag the project's test data uses maps onto one BCP 47 subtag.

The tags below are those seen in shared/testdata (``dc:language``, ``xml:lang``, JSON ``language``,
``locale`` and ``inLanguage`` values; counted with grep on 2026-12-07) plus the forms issue 19 names.
The expected subtags are ISO 639-1 as published (written here by hand, not read from the code).
"""

from __future__ import annotations

import copy

import pytest

from normalizers.oai_dc import normalize_oai_dc
from normalizers.tagging import enrich
from normalizers.vocabularies.languages import language_codes, language_name, normalize_language
from tests.normalizers.test_oai_dc import DC, dc_texts, raw_of, record_by_id

SEEN_IN_TEST_DATA = {
    "en": ["en", "eng", "en-US", "en-us", "en_US", "en-gb", "en-GB", "en-AU", "EN", "English"],
    "fr": ["fr", "fra", "fre", "French"],
    "es": ["es", "spa"],
    "de": ["de", "ger", "deu", "German", "de-AT"],
    "zh": ["zh", "zh-Hans", "zho", "chi"],
    "ru": ["ru", "rus"],
    "ar": ["ar", "ara"],
    "pt": ["pt", "por", "pt-BR"],
    "nl": ["nl", "dut", "nld"],
    "sk": ["sk", "slk", "slo"],
    "uk": ["ukr"],
    "uz": ["uzb"],
    "it": ["it", "ita"],
    "el": ["el", "gre", "ell"],
    "id": ["id", "ind", "in"],
    "sw": ["sw", "swa"],
    "ja": ["ja"],
    "ta": ["tam"],
    "vi": ["vi"],
    "az": ["az"],
    "sr": ["sr"],
}
NOT_A_LANGUAGE = ["other", "", "  ", None, "mul", "und"]


@pytest.mark.parametrize(("code", "tags"), SEEN_IN_TEST_DATA.items())
def test_every_form_of_a_language_maps_onto_its_primary_subtag(code: str, tags: list[str]) -> None:
    assert {normalize_language(tag) for tag in tags} == {code}


@pytest.mark.parametrize("tag", NOT_A_LANGUAGE)
def test_tags_naming_no_language_are_undetermined(tag: str | None) -> None:
    assert normalize_language(tag) == "und"


def test_a_three_letter_language_without_a_two_letter_code_keeps_it() -> None:
    assert normalize_language("ang") == "ang"  # Old English, dc:language of a Zenodo record
    assert normalize_language("oty") == "oty"


def test_every_vocabulary_language_has_names_in_the_six_un_languages() -> None:
    for code in ("de", "it", "pt", "id", "sw", "nl"):
        names = {lang: language_name(code, lang) for lang in ("ar", "en", "es", "fr", "ru", "zh")}
        assert all(name != code for name in names.values()), names
        assert len(set(names.values())) >= 5  # really translated, not English six times
    assert language_name("de", "fr") == "allemand"
    assert language_name("pt", "es") == "portugués"
    assert len(language_codes()) >= 180  # every ISO 639-1 language


def test_a_record_stating_ger_de_and_en_carries_each_language_once() -> None:
    """The Austrian OAI record of issue 19 stated ``ger``, ``de`` and ``en``; that record is not in the
    shared test data, so a real record (hdl:1765/316, dc:language en_US) is given the same three."""
    record = copy.deepcopy(record_by_id("hdl:1765/316"))
    language = next(record.iter(f"{DC}language"))
    parent = language.getparent()
    assert parent is not None
    for value in ("ger", "de", "en"):
        extra = copy.deepcopy(language)
        extra.text = value
        parent.append(extra)
    parent.remove(language)
    assert dc_texts(record, "language") == ["ger", "de", "en"]
    raw = raw_of(record)
    resource = enrich(normalize_oai_dc(raw))
    assert resource.languages == ["de", "en"]
    assert b"<dc:language>ger</dc:language>" in raw.payload  # the original stays in the raw payload
