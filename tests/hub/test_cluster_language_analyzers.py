"""The cluster mapping analyses each language the engines have an analyzer for; the rest is folded.

The analyzer names are the built-in language analyzers Elasticsearch and OpenSearch both document
(https://opensearch.org/docs/latest/analyzers/language-analyzers/); the expectations are written from
that list, not read from the table under test. A cluster run (GKSS_TEST_SEARCH_URL) creates an index
with this mapping in the scale-out tests.
"""

from __future__ import annotations

from hub.search.cluster_mapping import MAPPINGS, OTHER, document
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
