"""The model memo: answers remembered by a digest of exactly what the model read and its version;
a memo that is missing, stale or unreadable never changes an answer; a model file changed without
its version fails here."""

from __future__ import annotations

import hashlib
from pathlib import Path

import py3langid
import pytest

import normalizers
from normalizers.language_detect import detect_language
from normalizers.model_memo import LANGUAGE, TARGETS, VERSIONS, decode, encode, key, recalled, remembering
from normalizers.target_model import inferred_targets

PY3LANGID = Path(py3langid.__file__).resolve().parent
HERE = Path(normalizers.__file__).resolve().parent

# What each model's answers depend on, with the SHA-256 each file had when its version was set.
# A file changed: bump VERSIONS[kind] in normalizers/model_memo.py, then record the new digests and
# that version here (a memo made by the former model is then never used).
RECORDED: dict[str, tuple[str, dict[Path, str]]] = {
    LANGUAGE: (
        "1",
        {
            PY3LANGID
            / "data/model.npz.xz": "f4f4a2c3465ca1f081541037f9cac23021d68151c2f709c55ae5eedfca522963",
            PY3LANGID / "langid.py": "87dd47f1253b2adc6f82ed96f53e385a80bbde4f3627741cc516e7d0dd4a55d5",
            HERE / "language_detect.py": "f91964e025489df2644adc642c1b56c4b7b55ac5e986224ed6d8adf0bcaca1e3",
            HERE / "language_walk.py": "1922066ee076948b26475560cfe228ddec802d3012d481e6615c432f4bc780c8",
        },
    ),
    TARGETS: (
        "1",
        {
            HERE / "target_model.py": "3f97976e6ecef85bc249117b3f3e3b80c747d6245888668fd8b502c982bce538",
            HERE / "target_columns.py": "64986fc74545cc710362d6a3e59183695b6bf9a4f7dc3db4446a74b79632c0ef",
            HERE / "vocabularies/gbf.py": "195b7d7bc29a02387a20c8cc57b507ff179c3869db07d2017c9a4c846d57b600",
            HERE / "data/thesaurus_GBF-TARGETS_terms.json": (
                "f77bc98bbdc282ca04ab85e1fa382fa50e33382508ea6a116b3726df914221c2"
            ),
            HERE / "data/gbf_target_keywords.json": (
                "a6c78e4c4619c194b61196e10c0b8a15f1cb9c479d3048a927c8e637f17e807f"
            ),
            HERE / "data/ort_gbf_indicators_identifier_code_title.json": (
                "d591279cc53862d8f4ee791ebf52da0bd1c66895b0b223f7cb742a63c1f91e89"
            ),
            HERE / "data/ort_nr7_binary_indicator_questions_en.json": (
                "d507a9cc4e70a52121c1ed181e28304f983a58a0e2dbbc8beb0d7da2bf58d2f8"
            ),
        },
    ),
}

ENGLISH = "Restoring degraded wetlands and protecting migratory bird habitats along the coast"
FRENCH = "La restauration des zones humides dégradées et la protection des habitats des oiseaux"


@pytest.mark.parametrize("kind", sorted(RECORDED))
def test_a_model_file_changed_without_its_version_fails(kind: str) -> None:
    version, files = RECORDED[kind]
    changed = [
        str(path) for path, digest in files.items() if hashlib.sha256(path.read_bytes()).hexdigest() != digest
    ]
    assert not (changed and VERSIONS[kind] == version), (
        f"{changed} changed: bump VERSIONS[{kind!r}] in normalizers/model_memo.py and record the new digests"
    )
    assert VERSIONS[kind] == version, "a new version: record the digests of its files here"


def _never(text: str) -> object:
    raise AssertionError(f"computed although remembered: {text!r}")


def test_outside_a_memo_the_model_runs_and_nothing_is_kept() -> None:
    assert recalled(LANGUAGE, FRENCH, detect_language) == "fr"
    with remembering({}) as memo:
        pass
    assert memo.made == {}


def test_an_answer_is_remembered_by_what_the_model_read_and_recalled_without_running_it() -> None:
    with remembering({}) as first:
        language = recalled(LANGUAGE, FRENCH, detect_language)
        targets = recalled(TARGETS, ENGLISH, inferred_targets)
    assert language == "fr"
    assert targets == inferred_targets(ENGLISH)
    stored = encode(first.made)
    with remembering(decode(stored)) as second:
        assert recalled(LANGUAGE, FRENCH, _never) == "fr"
        assert recalled(TARGETS, ENGLISH, _never) == targets
    assert second.made == first.made


def test_a_changed_text_or_version_is_not_answered_from_the_memo(monkeypatch: pytest.MonkeyPatch) -> None:
    remembered = {key(LANGUAGE, FRENCH): "fr"}
    with remembering(remembered) as memo:
        assert recalled(LANGUAGE, ENGLISH, detect_language) == "en"  # another text: computed
    assert memo.made == {key(LANGUAGE, ENGLISH): "en"}, "the stale entry is not kept"
    monkeypatch.setitem(VERSIONS, LANGUAGE, VERSIONS[LANGUAGE] + "-next")
    with remembering(remembered) as memo:
        assert recalled(LANGUAGE, FRENCH, lambda text: "computed") == "computed"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (LANGUAGE, 7),
        (LANGUAGE, ""),
        (LANGUAGE, ["fr"]),
        (TARGETS, ["GBF-T01"]),
        (TARGETS, {"GBF-T01": "0.5"}),
        (TARGETS, {"GBF-T01": 1}),
        (TARGETS, {"GBF-T01": float("nan")}),
    ],
)
def test_a_remembered_value_that_is_no_answer_of_the_model_is_computed_again(
    kind: str, value: object
) -> None:
    text = ENGLISH
    compute = detect_language if kind == LANGUAGE else inferred_targets
    with remembering({key(kind, text): value}) as memo:
        assert recalled(kind, text, compute) == compute(text)
    assert memo.made == {key(kind, text): compute(text)}


@pytest.mark.parametrize("stored", [None, "", "{not json", "[1, 2]", '"fr"', "null"])
def test_a_stored_memo_that_does_not_read_as_one_is_empty(stored: str | None) -> None:
    assert decode(stored) == {}


def test_a_remembered_answer_is_a_copy() -> None:
    answer = {"GBF-T11": 0.5}
    with remembering({key(TARGETS, ENGLISH): answer}):
        got = recalled(TARGETS, ENGLISH, _never)
    got["GBF-T01"] = 1.0
    assert answer == {"GBF-T11": 0.5}
