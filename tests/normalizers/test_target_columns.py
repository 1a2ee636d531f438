"""The target model's feature counts by word id are those of counting ``features(text)`` one by one.

The texts: every text of the committed language set (tests/fixtures/language_id/labelled.tsv, real
titles and descriptions in some twenty languages and scripts) and the model's own training texts
(which hold every known word pair), joined into longer texts too.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from normalizers import target_columns
from normalizers.target_model import (
    _STOP,
    _WORD,
    _fold,
    _word_features,
    _words,
    features,
    labelled_records,
    official_examples,
    target_model,
)
from tests.normalizers.test_language_detect import FIXTURE


def _texts() -> list[str]:
    rows = [line.split("\t", 3)[3] for line in FIXTURE.read_text("utf-8").splitlines() if line[:1] != "#"]
    trained = [text for text, _ in [*official_examples(), *labelled_records()]]
    joined = [" ".join(rows[start : start + 20]) for start in range(0, len(rows), 20)]
    return [*rows, *trained, *joined, "", "a an of", "Ab"]


def _expected(column: dict[str, int], text: str) -> Counter[int]:
    return Counter({column[k]: n for k, n in features(text).items() if k in column})


def test_counts_are_those_of_the_known_features() -> None:
    model = target_model()
    pairs = 0
    for text in _texts():
        rows, counts = model.columns.counts(_words(text))
        expected = _expected(model.column, text)
        assert rows.tolist() == sorted(expected), text[:80]
        assert counts.tolist() == [expected[row] for row in sorted(expected)], text[:80]
        pairs += sum(1 for k in features(text) if k.startswith("b:") and k in model.column)
    assert pairs > 1000  # the word pairs were exercised, not only single words


def test_a_full_vocabulary_is_forgotten_and_the_counts_stay_right(monkeypatch: pytest.MonkeyPatch) -> None:
    model = target_model()
    columns = target_columns.FeatureColumns(model.column, _word_features, _STOP)
    monkeypatch.setattr(target_columns, "VOCABULARY", 50)
    for text in _texts()[:300]:
        rows, counts = columns.counts(_WORD.findall(_fold(text)))
        expected = _expected(model.column, text)
        assert rows.tolist() == sorted(expected)
        assert np.array_equal(counts, [expected[row] for row in sorted(expected)])
        assert len(columns._ids) <= max(50, len(set(_WORD.findall(_fold(text)))))


def test_words_are_the_regular_expressions_in_every_script() -> None:
    """Every ASCII character in every position (the byte-table path) and the real texts of all scripts."""
    ascii_texts = [chr(c) * 2 + "ab" + chr(c) + "Cd" + chr(c) for c in range(128)]
    ascii_texts.append("".join(chr(c) for c in range(128)) * 2)
    for text in [*ascii_texts, *_texts()]:
        assert _words(text) == _WORD.findall(_fold(text)), text[:80]
    assert sum(_fold(text).isascii() for text in _texts()) > 100
    assert sum(not _fold(text).isascii() for text in _texts()) > 100


def test_threads_counting_at_once_get_the_counts_of_one_at_a_time() -> None:
    model = target_model()
    texts = _texts()
    expected = [_expected(model.column, text) for text in texts]
    columns = target_columns.FeatureColumns(model.column, _word_features, _STOP)

    def count(start: int) -> list[bool]:
        order = list(range(start, len(texts))) + list(range(start))
        found = {i: columns.counts(_words(texts[i])) for i in order}
        return [
            found[i][0].tolist() == sorted(expected[i])
            and found[i][1].tolist() == [expected[i][r] for r in sorted(expected[i])]
            for i in range(len(texts))
        ]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(count, [0, len(texts) // 4, len(texts) // 2, 3 * len(texts) // 4]))
    assert all(all(result) for result in results)


def test_fold_drops_the_combining_marks_unicodedata_names() -> None:
    """The table look-up gives the per-character definition on the real texts of every script, on
    every combining mark after a letter, and on a lone surrogate."""
    marks = "".join(chr(c) for c in range(0x300, 0x370)) + "\u0e31\u0e34\u05b0\u064b\u3099\U0001d167"
    odd = ["e" + "e".join(marks), "\ud800 é", "ﬁ ＡＢＣ Ǆ", "中文 العربية русский ελληνικά"]
    for text in [*_texts(), *odd]:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        expected = "".join(c for c in decomposed if not unicodedata.combining(c))
        assert _fold(text) == expected, text[:80]
