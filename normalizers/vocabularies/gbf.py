"""GBF goals A-D and targets 1-23, loaded from the CBD thesaurus data shipped with the package."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class GbfTerm:
    """A goal or target of the Kunming-Montreal Global Biodiversity Framework."""

    identifier: str
    term_id: int
    title: dict[str, str]
    short_title: dict[str, str]
    description: str


def _load(name: str) -> tuple[GbfTerm, ...]:
    text = resources.files("normalizers").joinpath("data", name).read_text(encoding="utf-8")
    terms = [
        GbfTerm(
            identifier=item["identifier"],
            term_id=int(item["termId"]),
            title=dict(item.get("title") or {}),
            short_title=dict(item.get("shortTitle") or {}),
            description=str(item.get("description") or ""),
        )
        for item in json.loads(text)
    ]
    return tuple(sorted(terms, key=lambda t: t.identifier))


@cache
def gbf_targets() -> tuple[GbfTerm, ...]:
    """The 23 targets, ``GBF-TARGET-01`` to ``GBF-TARGET-23``."""
    return _load("thesaurus_GBF-TARGETS_terms.json")


@cache
def gbf_goals() -> tuple[GbfTerm, ...]:
    """The four goals, ``GBF-GOAL-A`` to ``GBF-GOAL-D``."""
    return _load("thesaurus_GBF-GOALS_terms.json")


_TARGET_FORMS = re.compile(r"^(?:GBF[-_ ]?)?(?:TARGET|T)[-_ ]?0*(\d{1,2})$", re.IGNORECASE)


def target_id(value: str | int) -> str | None:
    """``3``, ``"03"``, ``"T3"``, ``"GBF-T03"`` or ``"GBF-TARGET-03"`` -> ``"GBF-TARGET-03"``; else None."""
    text = str(value).strip()
    number: int | None = None
    if text.isdigit():
        number = int(text)
    else:
        match = _TARGET_FORMS.match(text)
        if match:
            number = int(match.group(1))
    if number is None or not 1 <= number <= len(gbf_targets()):
        return None
    return f"GBF-TARGET-{number:02d}"


def goal_id(value: str) -> str | None:
    """``"A"``, ``"Goal B"`` or ``"GBF-GOAL-C"`` -> ``"GBF-GOAL-C"``-style identifier; else None."""
    match = re.match(r"^(?:GBF[-_ ]?)?(?:GOAL[-_ ]?|G[-_])?([A-D])$", value.strip(), re.IGNORECASE)
    return f"GBF-GOAL-{match.group(1).upper()}" if match else None
