"""The vectorised byte walk of language identification gives py3langid's own counts and scores.

The texts: every text of the committed labelled set (tests/fixtures/language_id/labelled.tsv, real
titles and descriptions in some twenty languages), their prefixes of 1-7 bytes (the walk's start, where
fewer than six bytes have been read), and long texts joined from them in several scripts, so that the
numpy walk (texts of ``VECTOR_MIN_BYTES`` or more) is taken as well as py3langid's loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from py3langid.langid import LanguageIdentifier, visit_counts

from normalizers import language_walk
from normalizers.language_detect import _identifier
from normalizers.language_walk import HOT_ROWS, PROVED_MODEL, VECTOR_MIN_BYTES, WalkingIdentifier
from tests.normalizers.test_language_detect import FIXTURE


def _texts() -> list[bytes]:
    rows = [line.split("\t", 3)[3] for line in FIXTURE.read_text("utf-8").splitlines() if line[:1] != "#"]
    encoded = [LanguageIdentifier._encode(text) for text in rows]
    joined = b" ".join(encoded)
    long = [joined[start : start + size] for start in range(0, len(joined), 3001) for size in (300, 3000)]
    return [*encoded, *(text[:k] for text in encoded[:200] for k in range(1, 8)), *long]


def test_the_shipped_model_is_the_one_the_window_was_proved_on() -> None:
    identifier = _identifier()
    assert isinstance(identifier, WalkingIdentifier)
    assert (len(identifier.tk_row), len(identifier.tk_nextmove)) == PROVED_MODEL
    assert identifier._proved


def test_feature_counts_are_the_byte_walks_in_the_same_order() -> None:
    identifier = _identifier()
    texts = _texts()
    assert sum(len(text) >= VECTOR_MIN_BYTES for text in texts) >= 100
    for text in texts:
        walked = visit_counts(identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, text) or {}
        features, counts = identifier.feature_counts(text)
        assert features.tolist() == list(walked), text[:80]
        assert counts.tolist() == list(walked.values()), text[:80]


def _model() -> tuple[Any, ...]:
    full = _identifier()
    return (full.nb_ptc, full.nb_pc, full.nb_classes, full.tk_nextmove, full.tk_output)


@pytest.mark.parametrize("hot_rows", [HOT_ROWS, 300])
def test_scores_are_py3langids_bit_for_bit(hot_rows: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the float32 rows of every feature kept, and of only the first 300 (the rest cast anew)."""
    monkeypatch.setattr(language_walk, "HOT_ROWS", hot_rows)
    tk_row = _identifier().tk_row
    fast = WalkingIdentifier(*_model(), norm_probs=True, tk_row=tk_row)
    plain = LanguageIdentifier(*_model(), norm_probs=True, tk_row=tk_row)
    for languages in (None, ["en", "fr", "es", "ru", "ar", "zh"]):
        fast.set_languages(languages)
        plain.set_languages(languages)
        for text in _texts():
            assert np.array_equal(fast._decide(text), plain._decide(text)), text[:80]
            assert fast.classify(text) == plain.classify(text)
        assert fast._filled == min(hot_rows, len(fast.nb_ptc))


def test_an_unproved_model_walks_py3langids_loop() -> None:
    other = WalkingIdentifier(*_model(), norm_probs=True, tk_row=_identifier().tk_row[:-1])
    assert not other._proved
