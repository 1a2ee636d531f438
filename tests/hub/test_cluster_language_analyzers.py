"""The cluster mapping analyses each language the engines have an analyzer for; the rest is folded.

The analyzer names are the built-in language analyzers Elasticsearch and OpenSearch both document
(https://opensearch.org/docs/latest/analyzers/language-analyzers/); the expectations are written from
that list, not read from the table under test. A cluster run (GKSS_TEST_SEARCH_URL) creates an index
with this mapping in the scale-out tests.

The local Elasticsearch (deploy/local/elasticsearch) registers its language analyzers in the project's
own module, so every analyzer the table names is checked there: in the module's source (no cluster
needed), with ``_analyze`` on each engine with a test cluster (GKSS_TEST_SEARCH_URL,
GKSS_TEST_OPENSEARCH_URL), and token for token against OpenSearch's own analysis-common when both run.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.cluster_connection import Engine
from hub.search.cluster_mapping import LANGUAGE_ANALYZERS, MAPPINGS, OTHER, document
from tests.contract.conftest import CLUSTER_ENGINES, cluster_url, open_cluster_index
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


# --- every analyzer the table names exists on every engine (issue 16: the local Elasticsearch's
# analysis module is the project's own, so its list and LANGUAGE_ANALYZERS must not drift apart) ---

PLUGIN = (
    Path(__file__).resolve().parents[2]
    / "deploy/local/es-node/src/analysis/gkss/local/es/AnalysisCommonPlugin.java"
)
# A short text per language of the table, written in that language (conservation of biodiversity,
# forests): each holds a stop word or an inflected form its analyzer treats unlike the standard one.
SAMPLES = {
    "en": "The conservation of biological diversity in forests",
    "fr": "La conservation de la diversité biologique dans les forêts",
    "es": "La conservación de la diversidad biológica en los bosques",
    "ru": "Сохранение биологического разнообразия в лесах",
    "ar": "التنوع البيولوجي في المحميات الطبيعية",
    "zh": "生物多样性保护",
    "de": "Die Erhaltung der biologischen Vielfalt in den Wäldern",
    "it": "La conservazione della diversità biologica nelle foreste",
    "pt": "A conservação da diversidade biológica nas florestas",
    "id": "Pelestarian keanekaragaman hayati di hutan-hutan",
    "nl": "Het behoud van de biologische diversiteit in bossen",
    "bn": "বাংলাদেশের জীববৈচিত্র্য সংরক্ষণ",
    "th": "การอนุรักษ์ความหลากหลายทางชีวภาพในป่าไม้",
    "ko": "생물다양성 보전",
    "ja": "生物多様性の保全",
    "hi": "जैव विविधता का संरक्षण और वनों की रक्षा",
    "fa": "حفاظت از تنوع زیستی در جنگل‌ها",
    "tr": "Ormanlarda biyolojik çeşitliliğin korunması",
    "el": "Η διατήρηση της βιοποικιλότητας στα δάση",
    "bg": "Опазване на биологичното разнообразие в горите",
    "cs": "Ochrana biologické rozmanitosti v lesích",
    "da": "Bevarelse af den biologiske mangfoldighed i skovene",
    "et": "Bioloogilise mitmekesisuse kaitse metsades",
    "fi": "Luonnon monimuotoisuuden suojelu metsissä",
    "hu": "A biológiai sokféleség megőrzése az erdőkben",
    "lt": "Biologinės įvairovės išsaugojimas miškuose",
    "lv": "Bioloģiskās daudzveidības saglabāšana mežos",
    "no": "Bevaring av biologisk mangfold i skogene",
    "ro": "Conservarea diversității biologice în păduri",
    "sv": "Bevarandet av den biologiska mångfalden i skogarna",
    "ca": "La conservació de la biodiversitat als boscos",
    "eu": "Biodibertsitatearen kontserbazioa basoetan",
    "gl": "A conservación da biodiversidade nos bosques",
    "ga": "Caomhnú na bithéagsúlachta sna foraoisí",
    "hy": "Կենսաբազմազանության պահպանությունը անտառներում",
}


def registered_analyzers() -> set[str]:
    """The analyzer names the local Elasticsearch's own analysis module registers (its Java source)."""
    return set(re.findall(r'analyzers\.put\("([a-z_]+)"', PLUGIN.read_text(encoding="utf-8")))


def test_the_local_elasticsearch_registers_every_analyzer_of_the_table() -> None:
    registered = registered_analyzers()
    assert {"english", "french", "spanish", "russian", "arabic", "cjk"} <= registered  # the reader works
    missing = sorted(set(LANGUAGE_ANALYZERS.values()) - registered)
    assert not missing, f"add these to {PLUGIN.name} (on lucene-analysis-common): {missing}"


def test_every_language_of_the_table_has_a_sample() -> None:
    assert sorted(SAMPLES) == sorted(LANGUAGE_ANALYZERS)


def analyze(url: str, body: dict[str, Any], index: str | None = None) -> list[str]:
    """The tokens the engine's ``_analyze`` gives (no proxy, as the clients)."""
    path = f"/{index}/_analyze" if index else "/_analyze"
    with httpx.Client(trust_env=False, timeout=60) as client:
        answer = client.post(url.split(",")[0].rstrip("/") + path, json=body)
    assert answer.status_code == 200, f"{body}: {answer.status_code} {answer.text[:300]}"
    return [token["token"] for token in answer.json()["tokens"]]


@pytest.fixture(params=CLUSTER_ENGINES)
def engine_url(request: pytest.FixtureRequest) -> str:
    return cluster_url(request.param)


@pytest.mark.parametrize("lang", sorted(LANGUAGE_ANALYZERS))
def test_the_engine_knows_the_analyzer_of_each_language(engine_url: str, lang: str) -> None:
    analyzer = LANGUAGE_ANALYZERS[lang]
    tokens = analyze(engine_url, {"analyzer": analyzer, "text": SAMPLES[lang]})
    standard = analyze(engine_url, {"analyzer": "standard", "text": SAMPLES[lang]})
    assert tokens, f"{analyzer} gave no token for {SAMPLES[lang]!r}"
    assert tokens != standard, f"{analyzer} analyses {lang} as the standard analyzer does"


@pytest.mark.parametrize("analyzer", sorted(set(LANGUAGE_ANALYZERS.values())))
def test_elasticsearch_and_opensearch_analyse_each_language_alike(analyzer: str) -> None:
    """The local Elasticsearch's stand-in module gives the tokens OpenSearch's analysis-common gives."""
    urls = [cluster_url(engine) for engine in CLUSTER_ENGINES]
    for lang in (lang for lang, name in LANGUAGE_ANALYZERS.items() if name == analyzer):
        body = {"analyzer": analyzer, "text": SAMPLES[lang]}
        assert analyze(urls[0], body) == analyze(urls[1], body), lang


# Elasticsearch's settings of the language analyzers, as its documentation names them.
CONFIGURED = {
    "german_kept": {"type": "german", "stem_exclusion": ["wäldern"]},  # kept unstemmed, then normalised
    "german_stop": {"type": "german", "stopwords": ["vielfalt"]},
    "persian_stop": {"type": "persian", "stopwords": ["تنوع"]},
    "thai_stop": {"type": "thai", "stopwords": ["ไม้"]},
    "greek_stop": {"type": "greek", "stopwords": ["δαση"]},  # compared after Greek lowercasing
    "dutch_kept": {"type": "dutch", "stem_exclusion": ["bossen"]},
}


@pytest.fixture
def configured_index(engine_url: str) -> Iterator[tuple[str, str]]:
    name = f"gkss-analyzers-{uuid.uuid4().hex[:10]}"
    with httpx.Client(trust_env=False, timeout=60) as client:
        base = engine_url.split(",")[0].rstrip("/")
        created = client.put(f"{base}/{name}", json={"settings": {"analysis": {"analyzer": CONFIGURED}}})
        assert created.status_code == 200, created.text[:300]
        try:
            yield base, name
        finally:
            client.delete(f"{base}/{name}")


def test_stopwords_and_stem_exclusion_apply(configured_index: tuple[str, str]) -> None:
    url, name = configured_index

    def tokens(analyzer: str, lang: str, index: str | None = name) -> list[str]:
        return analyze(url, {"analyzer": analyzer, "text": SAMPLES[lang]}, index)

    assert "waldern" in tokens("german_kept", "de")
    assert "wald" in tokens("german", "de", None)  # stemmed by default
    assert "vielfalt" not in tokens("german_stop", "de")
    assert "vielfalt" in tokens("german", "de", None)
    assert "die" in tokens("german_stop", "de")  # the list replaces the default one
    assert "bossen" in tokens("dutch_kept", "nl")
    assert "boss" in tokens("dutch", "nl", None)
    assert "ไม้" not in tokens("thai_stop", "th")
    assert "ไม้" in tokens("thai", "th", None)
    assert "δασ" not in tokens("greek_stop", "el")
    assert "δασ" in tokens("greek", "el", None)
    assert "تنوع" not in tokens("persian_stop", "fa")
    assert "تنوع" in tokens("persian", "fa", None)


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
