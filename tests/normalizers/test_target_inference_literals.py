"""The Arabic, Russian and Chinese target patterns skipped on texts without their literals find
exactly what running every pattern finds."""

from __future__ import annotations

from normalizers.target_inference import _OTHER_SCRIPTS, other_script_targets
from normalizers.vocabularies.gbf import target_id
from tests.normalizers.test_language_detect import FIXTURE

MENTIONS = [
    "الهدف 3 من الإطار العالمي للتنوع البيولوجي",
    "وفقا لإطار كونمينغ - مونتريال، الهدف 12",
    "Цель 3 Куньминско-Монреальской рамки",
    "в рамках глобальной рамки, цели 7 и 8",
    "Глобальная рамка: цель 15",
    "昆明-蒙特利尔全球生物多样性框架目标3",
    "框架行动目标 22",
]


def _every_pattern(text: str) -> set[str]:
    if text.isascii():
        return set()
    found = set()
    for pattern in _OTHER_SCRIPTS:
        for match in pattern.finditer(text):
            if identifier := target_id(next(g for g in match.groups() if g)):
                found.add(identifier)
    return found


def test_the_literals_skip_nothing_a_pattern_finds() -> None:
    rows = [line.split("\t", 3)[3] for line in FIXTURE.read_text("utf-8").splitlines() if line[:1] != "#"]
    texts = [*rows, *MENTIONS, *(f"{row} {mention}" for row in rows[::10] for mention in MENTIONS)]
    found = 0
    for text in texts:
        expected = _every_pattern(text)
        assert other_script_targets(text) == expected, text[:80]
        found += bool(expected)
    assert all(_every_pattern(mention) for mention in MENTIONS)  # each mention is found
    assert found >= len(MENTIONS) * 10
