"""GBF targets a text is about, beyond explicit mentions: similarity to what each target is known by.

A nearest-centroid model over TF-IDF word, word-pair and character 4-gram features (Python and numpy,
already a dependency; trained in well under a second on first use, never on import). A target's
centroid is the normalised sum of its examples:

* the target's official texts in the CBD thesaurus (``normalizers/data/thesaurus_GBF-TARGETS_terms.json``:
  title, short title, long description; the shipped thesaurus carries them in English only),
* its topic phrases (``gbf_target_keywords.json``, English, French, Spanish, Russian, Chinese, Arabic),
* the CBD records whose target their authors state: the ORT monitoring-framework indicators (an
  indicator coded ``6.b`` states Target 6) and the NR7 binary-indicator questions (each block states
  its target).

A text gets the best-scoring target when its cosine similarity reaches ``THRESHOLD`` (chosen for
precision by tests/benchmarks/bench_target_tagging.py, which calibrates it on held-out training folds
and measures it on records the model never saw; figures in docs/enrichment.md). Character n-grams
let French and Spanish cognates ("biodiversité", "especies exóticas invasoras") reach English
examples, but only English has labelled records to measure on.
"""

from __future__ import annotations

import json
import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from normalizers.target_columns import FeatureColumns
from normalizers.vocabularies.gbf import target_id

THRESHOLD = 0.33  # cosine similarity: the held-out calibration of the benchmark (0.32-0.33)
Example = tuple[str, str]  # (text, GBF-TARGET-NN)

_WORD = re.compile(r"[^\W\d_]+")
# Function words and the questionnaire's boilerplate ("Does your country ..."): in every target's texts.
_STOP = frozenset(
    " ".join(
        (
            "the of and to in for on with by is are from at as an be this that or its their which was",
            "were has have a any all other into such number proportion percentage country countries",
            "your does do ensure including based national de la le les des du et en un une pour sur",
            "dans par el los las y para por con del al",
        )
    ).split()
)


@cache
def _combining() -> npt.NDArray[np.bool_]:
    """Whether each code point is a combining character (``unicodedata.combining``), by code point."""
    table = np.zeros(sys.maxunicode + 1, dtype=bool)
    table[[point for point in range(sys.maxunicode + 1) if unicodedata.combining(chr(point))]] = True
    return table


def _fold(text: str) -> str:
    """Case-folded, compatibility-decomposed, without combining marks ("Él" -> "el")."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    # the combining marks dropped by a table look-up per code point instead of a Python step per char
    points = np.frombuffer(decomposed.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    marks = _combining()[points]
    if not marks.any():
        return decomposed
    return points[~marks].tobytes().decode("utf-32-le", "surrogatepass")


# An ASCII text's words without the regular expression: every byte but a letter becomes a space, then
# split (``[^\W\d_]+`` matches exactly the runs of ASCII letters in ASCII text; 5x faster).
_ASCII_LETTERS = bytes(c if chr(c).isascii() and chr(c).isalpha() else 32 for c in range(256))


def _words(text: str) -> list[str]:
    """The folded text's words (runs of letters), as ``_WORD.findall(_fold(text))``."""
    folded = _fold(text)
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_LETTERS).decode("ascii").split()
    return _WORD.findall(folded)


@lru_cache(maxsize=65536)
def _word_features(word: str) -> tuple[str, ...]:
    """A word's stem feature and its character 4-grams (words recur: computed once each)."""
    padded = f" {word} "
    return ("w:" + word[:6], *("c:" + padded[i : i + 4] for i in range(len(padded) - 3)))


def features(text: str) -> Counter[str]:
    """Word stems (6 letters), adjacent stem pairs and character 4-grams of the words."""
    words = [w for w in _words(text) if len(w) > 2 and w not in _STOP]
    found: Counter[str] = Counter()
    for word in words:
        found.update(_word_features(word))
    found.update(f"b:{first[:6]}_{second[:6]}" for first, second in pairwise(words))
    return found


@dataclass(frozen=True, slots=True)
class TargetModel:
    """Feature columns, their inverse document frequencies and the unit-length target centroids.

    ``weights`` is a features x targets matrix (row ``column[feature]``), so scoring a text is one
    product of its TF-IDF values with the rows of the features it has.
    """

    column: dict[str, int]
    idf: npt.NDArray[np.float64]
    weights: npt.NDArray[np.float64]
    targets: tuple[str, ...]
    columns: FeatureColumns = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", FeatureColumns(self.column, _word_features, _STOP))

    def scores(self, text: str) -> list[tuple[str, float]]:
        """Every target with its cosine similarity to the text, best first."""
        totals = self._similarities(text)
        if totals is None:
            return sorted(((t, 0.0) for t in self.targets), key=lambda item: item[0])
        return sorted(zip(self.targets, totals.tolist(), strict=True), key=lambda item: (-item[1], item[0]))

    def _similarities(self, text: str) -> npt.NDArray[np.float64] | None:
        """The text's cosine similarity to each target (in ``targets`` order); None without features."""
        rows, counts = self.columns.counts(_words(text))
        if not len(rows):
            return None
        values = (1.0 + np.log(counts.astype(np.float64))) * self.idf[rows]
        return values @ self.weights[rows] / (float(np.linalg.norm(values)) or 1.0)  # type: ignore[no-any-return]

    def predict(self, text: str, threshold: float = THRESHOLD) -> dict[str, float]:
        """The best target and its score when the score reaches ``threshold``; else nothing.

        The best is ``scores(text)[0]``: the highest score, the first target in ``targets`` order
        (sorted) among equal ones, which is what ``argmax`` picks; a text without features scores
        0.0 for every target."""
        totals = self._similarities(text)
        if not self.targets:
            return {}
        best = int(totals.argmax()) if totals is not None else 0
        score = float(totals[best]) if totals is not None else 0.0
        if score < threshold:
            return {}
        return {self.targets[best]: round(score, 3)}


def train(examples: Iterable[Example]) -> TargetModel:
    """A model from (text, target) examples."""
    counted = [(features(text), target) for text, target in examples]
    document_frequency: Counter[str] = Counter()
    for found, _ in counted:
        document_frequency.update(found.keys())
    total = len(counted)
    idf = {k: math.log((1 + total) / (1 + n)) + 1 for k, n in document_frequency.items()}
    sums: dict[str, dict[str, float]] = {}
    for found, target in counted:
        vector = {k: (1 + math.log(n)) * idf[k] for k, n in found.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        centroid = sums.setdefault(target, {})
        for k, v in vector.items():
            centroid[k] = centroid.get(k, 0.0) + v / norm
    column = {k: i for i, k in enumerate(sorted(idf))}
    targets = tuple(sorted(sums))
    weights = np.zeros((len(column), len(targets)), dtype=np.float64)
    for j, target in enumerate(targets):
        centroid = sums[target]
        norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
        for k, v in centroid.items():
            weights[column[k], j] = v / norm
    idf_column = np.array([idf[k] for k in sorted(idf)], dtype=np.float64)
    return TargetModel(column=column, idf=idf_column, weights=weights, targets=targets)


def _data(name: str) -> object:
    return json.loads(resources.files("normalizers").joinpath("data", name).read_text(encoding="utf-8"))


def official_examples() -> list[Example]:
    """The targets' thesaurus texts and topic phrases (never held out: they are the targets' own words)."""
    out: list[Example] = []
    terms = _data("thesaurus_GBF-TARGETS_terms.json")
    assert isinstance(terms, list)
    for term in terms:
        for key in ("title", "shortTitle", "longDescription"):
            for text in (term.get(key) or {}).values():
                out.append((re.sub(r"^GBF-T\d+\.\s*", "", text), term["identifier"]))
    phrases = _data("gbf_target_keywords.json")
    assert isinstance(phrases, dict)
    for number, words in phrases.items():
        identifier = target_id(number)
        if identifier:
            out.extend((phrase, identifier) for phrase in words)
    return out


def labelled_records() -> list[Example]:
    """CBD records whose target their authors state: ORT indicators and NR7 binary questions."""
    out: list[Example] = []
    indicators = _data("ort_gbf_indicators_identifier_code_title.json")
    assert isinstance(indicators, list)
    for item in indicators:
        head = item["code"].split(".", 1)[0]
        identifier = target_id(head) if head.isdigit() else None
        if identifier:
            title = item["title"]
            text = title[len(item["code"]) :].lstrip(". ") if title.startswith(item["code"]) else title
            out.append((text, identifier))
    blocks = _data("ort_nr7_binary_indicator_questions_en.json")
    assert isinstance(blocks, list)
    for block in blocks:
        match = re.fullmatch(r"GBF-TARGET-0*(\d+)", block["target"])
        identifier = target_id(match.group(1)) if match else None
        if identifier:
            out.extend((q["title"], identifier) for q in block["questions"] if q.get("title"))
    # one record per text: a text stated twice is one record (train and test never share it), and a
    # text stated for two different targets says nothing about either
    targets_of: dict[str, set[str]] = {}
    for text, identifier in out:
        targets_of.setdefault(" ".join(text.split()).casefold(), set()).add(identifier)
    seen: set[str] = set()
    unique: list[Example] = []
    for text, identifier in out:
        key = " ".join(text.split()).casefold()
        if len(targets_of[key]) == 1 and key not in seen:
            seen.add(key)
            unique.append((text, identifier))
    return unique


@cache
def target_model() -> TargetModel:
    """The shipped model: official texts plus every labelled record."""
    return train([*official_examples(), *labelled_records()])


def inferred_targets(text: str, stated: Iterable[str] = ()) -> dict[str, float]:
    """Targets inferred from the text with their score, leaving out those already stated."""
    if not text.strip():
        return {}
    known = set(stated)
    return {t: s for t, s in target_model().predict(text).items() if t not in known}
