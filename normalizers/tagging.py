"""Enrichment every Resource gets: GBF target and goal tagging from its text, language list."""

from __future__ import annotations

import re

from normalizers.resource import Resource
from normalizers.vocabularies.gbf import goal_id, target_id
from normalizers.vocabularies.languages import normalize_language

# "GBF-TARGET-03", "GBF-T03", "GBF Target 3", "KMGBF target 3", "Target 3 of the Kunming-Montreal ...".
_EXPLICIT = re.compile(r"\b(?:KM)?GBF[-_ ]?(?:TARGET|T)[-_ ]?0*(\d{1,2})\b", re.IGNORECASE)
_FRAMEWORK = (
    r"(?:(?:KM)?GBF|Kunming[-‐– ]Montr[eé]al|Global Biodiversity Framework|Cadre mondial|Marco Mundial)"
)
_TARGET_WORD = r"(?:targets?|cibles?|metas?|цел[иья]|目标)"
_NEAR_BEFORE = re.compile(
    _FRAMEWORK + r"[^.;\n]{0,60}?\b" + _TARGET_WORD + r"\s*0*(\d{1,2})\b", re.IGNORECASE
)
_NEAR_AFTER = re.compile(r"\b" + _TARGET_WORD + r"\s*0*(\d{1,2})\b[^.;\n]{0,40}?" + _FRAMEWORK, re.IGNORECASE)
_EXPLICIT_GOAL = re.compile(r"\b(?:KM)?GBF[-_ ]?(?:GOAL|G)[-_ ]?([A-D])\b", re.IGNORECASE)

# The case-insensitive patterns above cost ~0.1 ms per kilobyte of text each, and most texts name no
# framework at all. Each pattern can only match a text whose folded copy (``_fold``) contains one of
# these literals, so the patterns run only then; the literals are a necessary condition, never a
# sufficient one, and the results are exactly those of running every pattern.
_GBF = "gbf"  # every match of _EXPLICIT and _EXPLICIT_GOAL contains it
_FRAMEWORK_WORDS = ("gbf", "kunming", "global biodiversity framework", "cadre mondial", "marco mundial")


def _fold(text: str) -> str:
    """Lower case, plus the non-ASCII letters re.IGNORECASE equates with ASCII ones that lower() keeps.

    Those are U+0131 (dotless i) and U+017F (long s); U+0130 lowers to "i" + U+0307 and the combining
    dot is dropped (U+212A KELVIN SIGN already lowers to "k"). Dropping U+0307 can only add matches of
    the literals, which is safe: they only decide whether the real patterns run.
    """
    folded = text.lower()
    if not folded.isascii():
        folded = folded.replace("\u0131", "i").replace("\u017f", "s").replace("\u0307", "")
    return folded


def _targets(text: str, folded: str) -> set[str]:
    patterns: list[re.Pattern[str]] = []
    if _GBF in folded:
        patterns.append(_EXPLICIT)
    if any(word in folded for word in _FRAMEWORK_WORDS):
        patterns += (_NEAR_BEFORE, _NEAR_AFTER)
    found: set[str] = set()
    for pattern in patterns:
        for match in pattern.finditer(text):
            identifier = target_id(match.group(1))
            if identifier:
                found.add(identifier)
    return found


def _goals(text: str, folded: str) -> set[str]:
    if _GBF not in folded:
        return set()
    return {g for m in _EXPLICIT_GOAL.finditer(text) if (g := goal_id(m.group(1)))}


def tag_targets(text: str) -> set[str]:
    """GBF targets a text names explicitly (never a bare "target 3" without the framework nearby)."""
    return _targets(text, _fold(text))


def tag_goals(text: str) -> set[str]:
    """GBF goals a text names explicitly (targets are not mapped onto goals: the GBF does not)."""
    return _goals(text, _fold(text))


def enrich(resource: Resource) -> Resource:
    """Add GBF targets/goals found in the text and the languages of its titles (in place; returned)."""
    text = "\n".join([*resource.title.values(), *resource.description.values(), *resource.subjects])
    folded = _fold(text)
    targets = set(resource.gbf_targets) | _targets(text, folded)
    goals = set(resource.gbf_goals) | _goals(text, folded)
    stated = [normalize_language(tag) for tag in [*resource.languages, *resource.title]]
    languages = list(dict.fromkeys(code for code in stated if code != "und"))  # one code per language
    # A crosswalk's fresh Resource is enriched in place (a copy costs more than the tagging).
    resource.gbf_targets = sorted(targets)
    resource.gbf_goals = sorted(goals)
    resource.languages = languages
    return resource
