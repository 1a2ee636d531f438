"""GBF targets inferred from text in the six UN languages, when the source states none.

Two levels, each measured by tests/benchmarks/bench_target_tagging.py:

* ``explicit``: the text names a target of the framework: "GBF-T03", "Target 3 of the
  Kunming-Montreal ..." (tagging.py's English, French, Spanish, Russian and Chinese forms) plus
  Arabic, Russian and Chinese framework names ("الهدف 3 من الإطار العالمي", "Цель 3 Куньминско-
  Монреальской рамки", "昆明-蒙特利尔全球生物多样性框架目标3").
* ``keywords``: the topic of a target is named ("invasive alien species" -> Target 6). The phrases
  were written from the targets' short titles in the CBD thesaurus (English) and their usual French
  and Spanish wording; they were not tuned on the benchmark records.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from normalizers.tagging import tag_targets
from normalizers.vocabularies.gbf import target_id

_NUMBER = r"(?:0*(\d{1,2}))"
_OTHER_SCRIPTS = (
    # Arabic: "الهدف 3" near the framework's name
    re.compile(r"الهدف\s*" + _NUMBER + r"[^.؛\n]{0,80}?(?:الإطار العالمي|كونمينغ)"),
    re.compile(r"(?:الإطار العالمي|كونمينغ)[^.؛\n]{0,80}?الهدف\s*" + _NUMBER),
    # Russian: "Цель 3" near "Куньмин..." / "глобальной рамки"
    re.compile(r"[Цц]ел[ьи]\s*" + _NUMBER + r"[^.;\n]{0,80}?(?:Куньмин|[Гг]лобальн\w* рамк)"),
    re.compile(r"(?:Куньмин|[Гг]лобальн\w* рамк)[^.;\n]{0,80}?[Цц]ел[ьи]\s*" + _NUMBER),
    # Chinese: "框架" ... "目标3" / "行动目标3"
    re.compile(r"(?:昆明|框架)[^。；\n]{0,40}?目标\s*" + _NUMBER),
)
# Each pattern above (case-sensitive) can only match a text containing one of its literals here: a
# text without them is not scanned (some 40-160 µs per kilobyte of non-Latin text for the five).
_LITERALS = (("الهدف",), ("الهدف",), ("Куньмин", "лобальн"), ("Куньмин", "лобальн"), ("目标",))


@cache
def target_keywords() -> dict[int, tuple[str, ...]]:
    """Topic phrases per target number (normalizers/data/gbf_target_keywords.json, lower case)."""
    text = (
        resources.files("normalizers")
        .joinpath("data", "gbf_target_keywords.json")
        .read_text(encoding="utf-8")
    )
    return {int(number): tuple(phrases) for number, phrases in json.loads(text).items()}


@cache
def _keyword_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    out: list[tuple[str, re.Pattern[str]]] = []
    for number, phrases in target_keywords().items():
        identifier = target_id(number)
        assert identifier is not None
        words = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        # ASCII phrases on word boundaries; Cyrillic stems and CJK/Arabic phrases as substrings
        out.append((identifier, re.compile(rf"(?<![\w-])(?:{words})", re.IGNORECASE)))
    return tuple(out)


def other_script_targets(text: str) -> set[str]:
    """Targets named with the Arabic, Russian or Chinese forms (tagging.py reads the Latin ones)."""
    found: set[str] = set()
    if text.isascii():
        return found
    for pattern, literals in zip(_OTHER_SCRIPTS, _LITERALS, strict=True):
        if not any(literal in text for literal in literals):
            continue
        for match in pattern.finditer(text):
            number = next(g for g in match.groups() if g)
            if identifier := target_id(number):
                found.add(identifier)
    return found


def explicit_targets(text: str) -> set[str]:
    """Targets the text names as targets of the framework, in any of the six UN languages."""
    return tag_targets(text) | other_script_targets(text)


def keyword_targets(text: str) -> set[str]:
    """Targets whose topic the text names (lower precision than explicit mentions; see the benchmark)."""
    return {identifier for identifier, pattern in _keyword_patterns() if pattern.search(text)}


def infer_targets(text: str, *, keywords: bool = False) -> set[str]:
    """Explicit mentions, plus topic keywords when asked."""
    found = explicit_targets(text)
    if keywords:
        found |= keyword_targets(text)
    return found
