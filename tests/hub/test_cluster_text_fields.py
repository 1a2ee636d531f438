"""The cluster's per-language matching fields (issue 16): each language's titles and descriptions copied
into one ``text`` field with that language's analyzer, so a query word is looked up in one field per
language (not one per title and one per description), titles ranked by one folded ``title_words``
field, counting requests unscored; and an index an older hub wrote (without those fields) answering as
before until it is rebuilt, on both cluster engines."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from hub.cluster_connection import Engine
from hub.search.base import SearchQuery
from hub.search.cluster_mapping import ANALYSIS, LANGUAGE_ANALYZERS, MAPPINGS, OTHER, TEXT, TITLE_WORDS
from hub.search.cluster_query import build_query, counting
from normalizers.resource import Resource
from tests.contract.conftest import CLUSTER_ENGINES, open_cluster_index
from tests.normalizers.test_enrichment import resource

LANGUAGES = [*LANGUAGE_ANALYZERS, OTHER]


def fields_named(node: Any) -> set[str]:
    """Every field a query DSL names (multi_match field lists, match/term/phrase keys)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "fields" and isinstance(value, list):
                found |= {str(f).split("^")[0] for f in value}
            elif key in {"match", "match_phrase", "match_phrase_prefix", "term"}:
                found |= set(value)
            else:
                found |= fields_named(value)
    elif isinstance(node, list):
        for item in node:
            found |= fields_named(item)
    return found


def test_each_language_s_title_and_description_fill_its_text_field() -> None:
    properties = MAPPINGS["properties"]
    for lang in LANGUAGES:
        analyzer = "folded" if lang == OTHER else LANGUAGE_ANALYZERS[lang]
        assert properties[TEXT]["properties"][lang]["analyzer"] == analyzer
        assert f"{TEXT}.{lang}" in properties["title"]["properties"][lang]["copy_to"]
        assert f"{TEXT}.{lang}" in properties["description"]["properties"][lang]["copy_to"]
        assert TITLE_WORDS in properties["title"]["properties"][lang]["copy_to"]
        assert TITLE_WORDS not in properties["description"]["properties"][lang]["copy_to"]
    assert set(properties[TEXT]["properties"]) == set(LANGUAGES)


def test_a_word_is_looked_up_in_one_field_per_language() -> None:
    dsl, _ = build_query(SearchQuery(text="forests biodiversity", type=("report",)))
    named = fields_named(dsl)
    assert named == {"all_text", f"{TEXT}.*", TITLE_WORDS, "subjects", "title_exact"}
    legacy = fields_named(build_query(SearchQuery(text="forests biodiversity"), per_language=False)[0])
    assert {"title.*", "description.*"} <= legacy
    assert f"{TEXT}.*" not in legacy


def test_counting_asks_the_words_and_filters_unscored() -> None:
    dsl, _ = build_query(SearchQuery(text="forests biodiversity", type=("report",)))
    counted = counting(dsl)
    assert set(counted["bool"]) == {"filter"}  # no should: nothing looked up for a score
    assert counted["bool"]["filter"] == [*dsl["bool"]["must"], {"terms": {"type": ["report"]}}]
    assert TITLE_WORDS not in fields_named(counted)


def _older_mapping() -> dict[str, Any]:
    """The mapping before the per-language text fields: no ``text``/``title_words``, no copies to them."""

    def group(name: str) -> dict[str, Any]:
        fields = MAPPINGS["properties"][name]["properties"]
        kept = {
            lang: {**f, "copy_to": [c for c in f["copy_to"] if c != TITLE_WORDS and not c.startswith(TEXT)]}
            for lang, f in fields.items()
        }
        return {"properties": kept}

    properties = {k: v for k, v in MAPPINGS["properties"].items() if k not in (TEXT, TITLE_WORDS)}
    return {
        **MAPPINGS,
        "properties": {**properties, "title": group("title"), "description": group("description")},
    }


def _records() -> list[Resource]:
    """A German title and an English description whose words a query finds by their stems only."""
    german = resource(title={"de": "Die Schutzgebiete Österreichs"})
    english = resource(title={"en": "Annual report"}, description={"en": "Restoring degraded forests"})
    return [german, english.model_copy(update={"id": "s-2", "native_id": "n2"})]


@pytest.mark.parametrize("engine", CLUSTER_ENGINES)
def test_an_index_an_older_hub_wrote_answers_until_rebuilt(engine: Engine) -> None:
    records = _records()
    german, english = records
    name = f"gkss-text-{uuid.uuid4().hex[:12]}"
    older = open_cluster_index(engine, name, retire_after=0)
    try:
        old = f"{name}-v1-20250101000000000000"
        older._create(old, {"index": {"number_of_shards": 1, "analysis": ANALYSIS}}, _older_mapping())
        older._swap(older.physical_indices(), old)
        assert older.add(records) == 2
        older.refresh()
        opened = open_cluster_index(engine, name, retire_after=0)
        try:
            assert opened.per_language is False  # its documents lack the text fields
            for current in (False, True):
                assert [h.id for h in opened.search(SearchQuery(text="Schutzgebiet")).hits] == [german.id]
                assert [h.id for h in opened.search(SearchQuery(text="forest")).hits] == [english.id]
                assert [h.id for h in opened.search(SearchQuery(text="annual")).hits] == [english.id]
                if not current:
                    assert opened.rebuild(records) == 2
                    assert opened.per_language is True
                    assert opened.physical_indices() != [old]
        finally:
            opened.close()
        again = open_cluster_index(engine, name, retire_after=0)
        try:
            assert again.per_language is True  # the rebuilt index has them
        finally:
            again.close()
    finally:
        older.drop()
        older.close()
