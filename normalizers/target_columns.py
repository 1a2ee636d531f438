"""A text's feature counts for the GBF target model, found by table look-ups over word ids.

``target_model.features`` defines a text's features: each kept word's stem (6 letters) and character
4-grams, and the stem pair of each two adjacent kept words (a kept word: three letters or more, not
a stop word). Scoring needs, of those, the ones the model knows, with their counts. Building them as
strings costs a Python step per word and per pair; here each distinct word is read once per process
(its id, whether it is kept, its known columns, its stem's id among the model's word pairs), and a
text becomes an array of word ids whose columns, pairs and counts numpy finds. The counts are those
of counting the text's known features one by one (checked against ``features`` in
tests/normalizers/test_target_columns.py), so the scores are the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.intp]
VOCABULARY = 200_000  # distinct words kept per model (all forgotten when it grows past)


class FeatureColumns:
    """The known feature columns of texts, by word id (one per model; one text at a time: a lock
    keeps the word tables whole when threads of one process normalise at once)."""

    def __init__(
        self,
        column: dict[str, int],
        word_features: Callable[[str], tuple[str, ...]],
        stop: Collection[str],
    ) -> None:
        self._column, self._word_features, self._stop = column, word_features, stop
        stems: dict[str, int] = {}
        keyed: dict[tuple[int, int], int] = {}
        for feature, index in column.items():
            if feature.startswith("b:"):  # "b:<stem>_<stem>": stems are letters only, never "_"
                first, second = feature[2:].split("_")
                pair = (stems.setdefault(first, len(stems)), stems.setdefault(second, len(stems)))
                keyed[pair] = index
        self._stems = stems
        # column of the pair (first stem, second stem), -1 when unknown; row and column len(stems)
        # stand for a word whose stem is in no known pair (824 stems in the shipped model: 2.7 MB)
        self._pairs = np.full((len(stems) + 1, len(stems) + 1), -1, dtype=np.int32)
        for (first_stem, second_stem), index in keyed.items():
            self._pairs[first_stem, second_stem] = index
        self._lock = threading.Lock()
        self._forget()

    def _forget(self) -> None:
        self._ids: dict[str, int] = {}
        self._kept = np.zeros(1024, dtype=bool)
        self._stem = np.zeros(1024, dtype=np.intp)
        self._start = np.zeros(1024, dtype=np.intp)
        self._length = np.zeros(1024, dtype=np.intp)
        self._data = np.zeros(4096, dtype=np.intp)
        self._used = 0

    def counts(self, words: list[str]) -> tuple[Ints, Ints]:
        """The known columns of the words' features, ascending, and how often each occurs."""
        with self._lock:
            return self._counts(words)

    def _counts(self, words: list[str]) -> tuple[Ints, Ints]:
        ids = self._ids
        new = set(words).difference(ids)
        if new:
            if len(ids) + len(new) > VOCABULARY:
                self._forget()
                ids, new = self._ids, set(words)
            for word in new:
                self._add(word)
        found = np.fromiter(map(ids.__getitem__, words), dtype=np.intp, count=len(words))
        found = found[self._kept[found]]
        lengths = self._length[found]
        ends = np.cumsum(lengths)
        own = self._data[
            np.repeat(self._start[found] - ends + lengths, lengths) + np.arange(ends[-1] if len(ends) else 0)
        ]
        stems = self._stem[found]
        pairs = self._pairs[stems[:-1], stems[1:]]
        pairs = pairs[pairs >= 0]
        rows, counted = np.unique(np.concatenate((own, pairs)), return_counts=True)
        return rows.astype(np.intp, copy=False), counted

    def _add(self, word: str) -> None:
        index = len(self._ids)
        self._ids[word] = index
        if index >= len(self._kept):
            grown = 2 * len(self._kept)
            self._kept = np.resize(self._kept, grown)
            self._stem = np.resize(self._stem, grown)
            self._start = np.resize(self._start, grown)
            self._length = np.resize(self._length, grown)
        kept = len(word) > 2 and word not in self._stop
        self._kept[index] = kept
        columns = (
            [c for f in self._word_features(word) if (c := self._column.get(f)) is not None] if kept else []
        )
        self._stem[index] = self._stems.get(word[:6], len(self._stems))
        self._start[index] = self._used
        self._length[index] = len(columns)
        if self._used + len(columns) > len(self._data):
            self._data = np.resize(self._data, 2 * (self._used + len(columns)))
        self._data[self._used : self._used + len(columns)] = columns
        self._used += len(columns)
