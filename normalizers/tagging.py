"""Enrichment every Resource gets: GBF target and goal tagging from its text, language list."""

from __future__ import annotations

import re

from normalizers.resource import Resource
from normalizers.vocabularies.gbf import goal_id, target_id

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


def tag_targets(text: str) -> set[str]:
    """GBF targets a text names explicitly (never a bare "target 3" without the framework nearby)."""
    found: set[str] = set()
    for pattern in (_EXPLICIT, _NEAR_BEFORE, _NEAR_AFTER):
        for match in pattern.finditer(text):
            identifier = target_id(match.group(1))
            if identifier:
                found.add(identifier)
    return found


def tag_goals(text: str) -> set[str]:
    """GBF goals a text names explicitly (targets are not mapped onto goals: the GBF does not)."""
    return {g for m in _EXPLICIT_GOAL.finditer(text) if (g := goal_id(m.group(1)))}


def enrich(resource: Resource) -> Resource:
    """Add GBF targets/goals found in the text and the languages of its titles."""
    text = "\n".join([*resource.title.values(), *resource.description.values(), *resource.subjects])
    targets = set(resource.gbf_targets) | tag_targets(text)
    goals = set(resource.gbf_goals) | tag_goals(text)
    languages = list(dict.fromkeys([*resource.languages, *(k for k in resource.title if k != "und")]))
    return resource.model_copy(
        update={"gbf_targets": sorted(targets), "gbf_goals": sorted(goals), "languages": languages}
    )
