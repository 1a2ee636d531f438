"""Language identification on texts whose language their source states (the committed labelled set).

tests/fixtures/language_id/labelled.tsv holds texts of shared/testdata with the language their source
states (built by tests/benchmarks/language_corpus.py; provenance in its header and in PROVENANCE.tsv).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from normalizers.enrichment import enrich_network
from normalizers.language_detect import NETWORK_LANGUAGES, detect_language
from tests.normalizers.test_enrichment import resource

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "language_id" / "labelled.tsv"


def labelled() -> list[tuple[str, str]]:
    rows = [line.split("\t", 3) for line in FIXTURE.read_text("utf-8").splitlines() if line[:1] != "#"]
    return [(language, text) for language, _, _, text in rows if len(text) >= 20]


def test_network_languages_in_the_labelled_set_are_found() -> None:
    """Texts of >= 20 characters in a network language: "unknown" and a wrong language are misses."""
    rows = [(language, text) for language, text in labelled() if language in NETWORK_LANGUAGES]
    right = Counter(language for language, text in rows if detect_language(text) == language)
    total = Counter(language for language, _ in rows)
    assert {"en", "fr", "es", "de", "pt"} <= set(total)
    assert sum(right.values()) / len(rows) >= 0.95, (right, total)
    for language in ("en", "fr", "es", "ar", "ru", "zh", "de", "pt"):
        assert right[language] >= 0.95 * total[language], (language, right[language], total[language])


def test_the_issues_examples_are_german_and_italian() -> None:
    german = "Die biologische Vielfalt in Österreich und die nationalen Ziele für den Artenschutz"
    assert detect_language(german) == "de"
    assert detect_language("La biodiversità in Italia e gli obiettivi nazionali per la conservazione") == "it"


def test_text_too_short_to_tell_is_unknown() -> None:
    for text in ("Red List Index", "Rapport 2024", "Jurnal Hayati", "", "2024 - 12 / 31"):
        assert detect_language(text) is None
    assert detect_language("生物多样性公约") == "zh"  # Han without kana: only Chinese among the network's


def test_a_stated_language_wins_over_detection() -> None:
    stated = enrich_network(resource(title={"de": "The state of the world's forests and the people in them"}))
    assert stated.title == {"de": "The state of the world's forests and the people in them"}
    detected = enrich_network(
        resource(title={"und": "A energia elétrica é atualmente a principal alternativa aos combustíveis"})
    )
    assert list(detected.title) == ["pt"] and detected.languages == ["pt"]
