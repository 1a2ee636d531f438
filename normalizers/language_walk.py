"""py3langid's identifier with its byte walk done by numpy for long texts: the same scores, sooner.

py3langid scores a text by walking a DFA over its UTF-8 bytes, one Python step per byte (some 0.33
µs a byte: about a millisecond for a record's title and abstract), and counting the feature each
state emits. The DFA of py3langid 0.4.0's shipped model forgets: after any six bytes, whatever state
it started in, it is in the same state (``SYNC_BYTES``; proved over every reachable state and every
byte string by ``tests/benchmarks/langid_window_proof.py``). So the state after byte ``i`` is the
state reached from the start state over bytes ``i-5 .. i`` alone, and the states of all positions
come from six vectorised table look-ups instead of a Python loop. The features are then counted in
the order of their first occurrence, as ``collections.Counter`` over the walk would count them, so
the scores are those of py3langid bit for bit (``tests/normalizers/test_language_walk.py``).

The shortcut is taken only for the model it was proved on (its table sizes, ``PROVED_MODEL``) and
for texts of ``VECTOR_MIN_BYTES`` or more (below that numpy's fixed cost exceeds the loop's); any
other model or text walks py3langid's own loop.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from py3langid.langid import LanguageIdentifier

SYNC_BYTES = 6  # every state of the proved model is fixed by the last six bytes read
PROVED_MODEL = (104_583, 9_816_576)  # (states, transition table entries) of py3langid 0.4.0's model
VECTOR_MIN_BYTES = 256  # numpy's walk costs ~40 µs however short the text; the loop 0.33 µs a byte


class WalkingIdentifier(LanguageIdentifier):  # type: ignore[misc]
    """``py3langid.langid.LanguageIdentifier`` whose ``_raw_score`` walks long texts with numpy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._proved = (len(self.tk_row), len(self.tk_nextmove)) == PROVED_MODEL
        if self._proved:  # views and small arrays: the 39 MB transition table is not copied
            self._moves = np.frombuffer(self.tk_nextmove, dtype=np.uint32)
            self._rows = np.asarray(self._rowbase, dtype=np.intp)
            self._emits = np.asarray(self.tk_output, dtype=np.int32)

    def _raw_score(self, text: bytes) -> Any:
        if not self._proved or len(text) < VECTOR_MIN_BYTES:
            return super()._raw_score(text)
        features, counts = self.feature_counts(text)
        if not len(features):
            return super()._raw_score(b"")  # py3langid's answer for a text without features
        # py3langid's _sparse_score over the same features in the same order
        return np.log1p(counts.astype(np.float32)) @ self.nb_ptc[features] + self.nb_pc

    def feature_counts(self, text: bytes) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """The features the walk over ``text`` emits and how often, in order of first emission."""
        read = np.frombuffer(text, dtype=np.uint8).astype(np.intp)
        n = len(read)
        rows = np.full(n, self._rows[0], dtype=np.intp)  # each position's row before its last step
        for back in range(SYNC_BYTES - 1, 0, -1):  # the state after bytes i-back .. i-1, from the start
            if back < n:
                rows[back:] = self._rows[self._moves[rows[back:] + read[: n - back]]]
        emitted = self._emits[self._moves[rows + read]]
        emitted = emitted[emitted >= 0]
        features, first, counts = np.unique(emitted, return_index=True, return_counts=True)
        order = np.argsort(first)
        return features[order].astype(np.intp), counts[order]
