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

import threading
from typing import Any

import numpy as np
import numpy.typing as npt
from py3langid.langid import LanguageIdentifier

SYNC_BYTES = 6  # every state of the proved model is fixed by the last six bytes read
PROVED_MODEL = (104_583, 9_816_576)  # (states, transition table entries) of py3langid 0.4.0's model
VECTOR_MIN_BYTES = 128  # numpy costs ~40 µs however short the text, the loop 0.33-0.5 µs a byte: even at ~100
HOT_ROWS = 8192  # features whose model rows are kept as float32 (4.5 MB for py3langid's 142 columns)


class WalkingIdentifier(LanguageIdentifier):  # type: ignore[misc]
    """``py3langid.langid.LanguageIdentifier`` whose ``_raw_score`` walks long texts with numpy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._proved = (len(self.tk_row), len(self.tk_nextmove)) == PROVED_MODEL
        if self._proved:  # views and small arrays: the 39 MB transition table is not copied
            self._moves = np.frombuffer(self.tk_nextmove, dtype=np.uint32)
            self._rows = np.asarray(self._rowbase, dtype=np.intp)
            self._emits = np.asarray(self.tk_output, dtype=np.int32)
        self._lock = threading.Lock()  # threads of one process share the identifier and its rows
        self._forget_rows()

    def set_languages(self, langs: Any = None) -> None:
        super().set_languages(langs)
        self._forget_rows()

    def _forget_rows(self) -> None:
        """Start the float32 copies of the model's rows afresh (its columns changed, or first use)."""
        self._hot = np.empty((0, 0), dtype=np.float32)  # made on first use: HOT_ROWS x the columns
        self._slot = np.full(len(self.nb_ptc), -1, dtype=np.int32)  # a feature's row in _hot, or -1
        self._filled = 0

    def _raw_score(self, text: bytes) -> Any:
        if not self._proved or len(text) < VECTOR_MIN_BYTES:
            return super()._raw_score(text)
        features, counts = self.feature_counts(text)
        if not len(features):
            return super()._raw_score(b"")  # py3langid's answer for a text without features
        # py3langid's _sparse_score over the same features in the same order
        return np.log1p(counts.astype(np.float32)) @ self._rows_of(features) + self.nb_pc

    def _rows_of(self, features: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        """``nb_ptc[features]`` as float32, as numpy casts the float16 model for the product; the
        rows of the first ``HOT_ROWS`` features seen are cast once and kept (casting float16 costs
        more than the product itself)."""
        with self._lock:
            return self._kept_rows(features)

    def _kept_rows(self, features: npt.NDArray[np.intp]) -> npt.NDArray[np.float32]:
        slots = self._slot[features]
        missing = slots < 0
        if missing.any() and self._filled < HOT_ROWS:
            if not self._hot.size:
                self._hot = np.empty((HOT_ROWS, self.nb_ptc.shape[1]), dtype=np.float32)
            new = features[missing][: HOT_ROWS - self._filled]
            self._hot[self._filled : self._filled + len(new)] = self.nb_ptc[new]
            self._slot[new] = np.arange(self._filled, self._filled + len(new), dtype=np.int32)
            self._filled += len(new)
            slots = self._slot[features]
            missing = slots < 0
        if not missing.any():
            return self._hot[slots]
        rows = np.empty((len(features), self.nb_ptc.shape[1]), dtype=np.float32)
        rows[~missing] = self._hot[slots[~missing]]
        rows[missing] = self.nb_ptc[features[missing]]
        return rows

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
