"""The cluster mapping analyses each language the engines have an analyzer for; the rest is folded.

The analyzer names are the built-in language analyzers Elasticsearch and OpenSearch both document
(https://opensearch.org/docs/latest/analyzers/language-analyzers/); the expectations are written from
that list, not read from the table under test. A cluster run (GKSS_TEST_SEARCH_URL) creates an index
with this mapping in the scale-out tests.
"""

from __future__ import annotations

import uuid

import pytest

from hub.cluster_connection import Engine
from hub.search.cluster_mapping import MAPPINGS, OTHER, document
from tests.contract.conftest import CLUSTER_ENGINES, open_cluster_index
from tests.normalizers.test_enrichment import resource

BEYOND_UN = {"de": "german", "it": "italian", "pt": "portuguese", "id": "indonesian", "nl": "dutch"}


def test_network_languages_beyond_the_six_have_their_engine_analyzer() -> None:
    for group in ("title", "description"):
        fields = MAPPINGS["properties"][group]["properties"]
        for lang, analyzer in BEYOND_UN.items():
            assert fields[lang]["analyzer"] == analyzer
        assert fields["en"]["analyzer"] == "english"
        assert fields[OTHER]["analyzer"] == "folded"
        assert "sw" not in fields  # no engine ships a Swahili analyzer: folded fallback


def test_documents_put_each_language_in_its_sub_field() -> None:
    doc = document(
        resource(
            title={
                "de": "Die biologische Vielfalt in Österreich",
                "sw": "Bioanuwai ya Tanzania",
                "pt-BR": "Biodiversidade",
            },
            languages=["de", "sw", "pt"],
        )
    )
    assert doc["title"] == {
        "de": "Die biologische Vielfalt in Österreich",
        OTHER: "Bioanuwai ya Tanzania",
        "pt": "Biodiversidade",
    }


@pytest.mark.parametrize("engine", CLUSTER_ENGINES)
def test_a_cluster_stems_german_and_tells_stated_from_inferred_targets(engine: Engine) -> None:
    """On each real cluster engine: German is stemmed by the german analyzer, and the target filters
    match stated, inferred or either targets."""
    from hub.search.base import SearchQuery

    index = open_cluster_index(engine, f"gkss-lang-{uuid.uuid4().hex[:12]}", retire_after=0.1)
    try:
        stated = resource(title={"de": "Die Schutzgebiete Österreichs"}, gbf_targets=["GBF-TARGET-03"])
        inferred = resource(title={"en": "Pesticide use"}, gbf_targets_inferred={"GBF-TARGET-07": 0.6})
        inferred = inferred.model_copy(update={"id": "s-2", "native_id": "n2"})
        index.add([stated, inferred])
        index.refresh()
        assert [h.id for h in index.search(SearchQuery(text="Schutzgebiet")).hits] == [stated.id]
        assert index.search(SearchQuery(target=("GBF-TARGET-07",))).total == 0
        assert [h.id for h in index.search(SearchQuery(target_inferred=("GBF-TARGET-07",))).hits] == ["s-2"]
        both = index.search(SearchQuery(target_any=("GBF-TARGET-03", "GBF-TARGET-07")))
        assert {h.id for h in both.hits} == {stated.id, "s-2"}
    finally:
        index.drop()
        index.close()
