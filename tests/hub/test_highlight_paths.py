"""The quick ways of marking a text (ASCII words found with ``str.find``; accented Latin texts searched
with their accents dropped) mark exactly what the analyzer's way marks, on the real texts of the
contract corpus (tests/fixtures/contract/corpus.json) and query words taken from those texts."""

from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

from hub.search.highlight import WORD, marked, marked_by_analyzer, wanted
from hub.search.tantivy_schema import WORDS, analyzers

ANALYZER = analyzers()[WORDS]
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "contract" / "corpus.json"


def corpus_texts() -> list[str]:
    resources = json.loads(CORPUS.read_text(encoding="utf-8"))["resources"]
    return [
        text for r in resources for field in ("title", "description") for text in r[field].values() if text
    ]


def test_every_quick_mark_is_the_analyzers_mark() -> None:
    texts = corpus_texts()
    accented = [t for t in texts if not t.isascii()]
    assert len(accented) >= 10 and len(texts) - len(accented) >= 10  # both quick paths are exercised
    rng = random.Random(5)
    compared = marks = 0
    for text in texts:
        words = WORD.findall(text)
        queries = [rng.choice(words), f"{rng.choice(words)} {rng.choice(words)}", rng.choice(words)[:3] + "*"]
        queries += [w.upper() for w in words if not w.isascii()][:2]  # accented words, in capitals
        queries.append(
            "".join(c for c in unicodedata.normalize("NFD", words[0]) if c.isascii())
        )  # no accents
        for query in queries:
            want = wanted(query, ANALYZER)
            for fragment in (False, True):
                expected = marked_by_analyzer(text[:480] if fragment else text, ANALYZER, want, fragment)
                assert marked(text, ANALYZER, want, fragment) == expected, (text, query, fragment)
                compared += 1
                marks += expected is not None
    assert compared > 1000 and marks > compared // 2


def test_accented_words_are_marked_where_they_stand() -> None:
    want = wanted("foret especes", ANALYZER)
    assert marked("La forêt et ses espèces, FORÊT", ANALYZER, want, False) == (
        "La <em>forêt</em> et ses <em>espèces</em>, <em>FORÊT</em>"
    )
    # A decomposed accent (e and U+0302) is not one letter for one: the analyzer's way decides, and the
    # analyzer keeps the mark in the word, so it is not "foret" (the index does not match it either).
    decomposed = unicodedata.normalize("NFD", "La forêt")
    assert marked_by_analyzer(decomposed, ANALYZER, want, False) is None
    assert marked(decomposed, ANALYZER, want, False) is None
