"""GBF monitoring-framework indicators (headline, binary, component, complementary) from the ORT list."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources

from normalizers.vocabularies.gbf import goal_id, target_id

INDICATOR_KINDS: tuple[str, ...] = ("headline", "binary", "component", "complementary")

_HEADLINE_CODE = re.compile(r"^([A-D]|\d{1,2})\.(\d+)$")
_BINARY_CODE = re.compile(r"^([A-D]|\d{1,2})\.b$")
_OTHER_CODE = re.compile(r"^([A-D]|\d{1,2})\.(CT|CY)\.(\d+)$")
_ID_FORMS = re.compile(r"^(?:KM)?GBF[-_ ]INDICATOR[-_ ](.+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator: its CBD thesaurus identifier, monitoring-framework code, kind and labels."""

    identifier: str
    code: str
    kind: str
    title: dict[str, str]
    goal: str | None
    target: str | None
    other_codes: tuple[str, ...] = ()


def indicator_kind(identifier: str, code: str) -> str | None:
    """The indicator's kind from its identifier and code (see the comment below)."""
    # codes: ``A.1`` headline, ``1.b`` binary, ``A.CT.10`` component, ``8.CY.2`` complementary
    if identifier.upper().startswith("KMGBF-INDICATOR-BIN") or _BINARY_CODE.match(code):
        return "binary"
    if match := _OTHER_CODE.match(code):
        return "component" if match.group(2) == "CT" else "complementary"
    if _HEADLINE_CODE.match(code):
        return "headline"
    return None


def _term_labels() -> dict[str, dict[str, str]]:
    """Six-language labels of indicator terms, from the thesaurus API examples shipped with the package."""
    text = resources.files("normalizers").joinpath("data", "thesaurus_gbf_indicator_term_examples.json")
    labels: dict[str, dict[str, str]] = {}
    for terms in json.loads(text.read_text(encoding="utf-8")).values():
        for term in terms:
            title = {k: " ".join(v.split()) for k, v in (term.get("title") or {}).items() if v and v.strip()}
            labels[term["identifier"]] = title
    return labels


@cache
def gbf_indicators() -> tuple[Indicator, ...]:
    """Every indicator of the ORT list, once per identifier (a repeated one adds its code as an alias)."""
    text = resources.files("normalizers").joinpath("data", "ort_gbf_indicators_identifier_code_title.json")
    labels = _term_labels()
    found: dict[str, Indicator] = {}
    for item in json.loads(text.read_text(encoding="utf-8")):
        identifier, code = item["identifier"], item["code"]
        kind = indicator_kind(identifier, code)
        if kind is None:
            continue
        if identifier in found:  # a second code for the same term (219: 8.CY.2 and 8.CY.3)
            first = found[identifier]
            found[identifier] = replace(first, other_codes=(*first.other_codes, code))
            continue
        head = code.split(".", 1)[0]
        title = {"en": " ".join(item["title"].split())}
        title.update({k: v for k, v in labels.get(identifier, {}).items() if k != "en"})
        found[identifier] = Indicator(
            identifier=identifier,
            code=code,
            kind=kind,
            title=title,
            goal=goal_id(head) if head.isalpha() else None,
            target=target_id(head) if head.isdigit() else None,
        )
    return tuple(found.values())


@cache
def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for indicator in gbf_indicators():
        table[indicator.identifier.upper()] = indicator.identifier
        for code in (indicator.code, *indicator.other_codes):
            table.setdefault(code.upper(), indicator.identifier)
    return table


def indicator_id(value: str) -> str | None:
    """``GBF-INDICATOR-A.1``, ``A.1``, ``A.CT.10``, ``KMGBF-INDICATOR-BIN-1`` or ``1.b`` -> the identifier."""
    text = value.strip().upper()
    table = _lookup()
    if text in table:
        return table[text]
    match = _ID_FORMS.match(text)
    if match and match.group(1) in table:
        return table[match.group(1)]
    return None


def indicator(identifier: str) -> Indicator | None:
    """The indicator with this identifier (any accepted form)."""
    canonical = indicator_id(identifier)
    return next((i for i in gbf_indicators() if i.identifier == canonical), None)
