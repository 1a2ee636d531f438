"""CBD document symbols (``COP-17``, ``SBSTTA-26``, ``CBD/COP/DEC/15/4``, notification ``2024-012``) and the
spellings people type for them (``cop17``, ``COP 17``, ``SBSTTA 26``, ``decision 15/4``): the one place
that says which extra words an indexed record carries so that every search engine finds them alike."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[\s/\\\-_.:]+")
_DECISION = re.compile(r"^(?:UNEP/)?(?:CBD/)?([A-Z-]+)/(DEC|REC)/([A-Z0-9]+)/(\d+)$", re.IGNORECASE)


def _unpadded(part: str) -> str:
    return part.lstrip("0") or "0" if part.isdigit() else part


def symbol_spellings(symbol: str) -> list[str]:
    """The ways a symbol is written: as given, its parts joined without separators (``COP17``), spaced
    (``COP 17``), without leading zeros (``SBI-07``: ``SBI7``, ``SBI 7``) and, for a decision or
    recommendation, its short forms (``COP 15/4``, ``decision 15/4``)."""
    text = symbol.strip()
    parts = [p for p in _SEPARATORS.split(text) if p]
    if not parts:
        return []
    bare = [_unpadded(p) for p in parts]
    out = [text, "".join(parts), " ".join(parts), "".join(bare), " ".join(bare)]
    if len(parts) >= 2 and parts[-1].isdigit():  # NP-MOP-06 -> MOP6, MOP 6: the body's short name
        out.append("-".join(bare))
        if parts[-2].isalpha() and len(parts) > 2:
            out += [parts[-2] + bare[-1], f"{parts[-2]} {bare[-1]}", parts[-2] + parts[-1]]
    decision = _DECISION.match(text)
    if decision:
        body, kind, meeting, number = decision.groups()
        short = f"{_unpadded(meeting)}/{int(number)}"
        word = "decision" if kind.upper() == "DEC" else "recommendation"
        out += [
            f"{body} {short}",
            f"{body}{short}",
            f"{word} {short}",
            f"{body.split('-')[-1]} {word} {short}",
        ]
    return list(dict.fromkeys(s for s in out if s))


def symbol_search_text(symbols: Iterable[str]) -> str:
    """The extra search text of a record's symbols: every spelling, one per line (what engines index)."""
    return "\n".join(spelling for symbol in symbols for spelling in symbol_spellings(symbol))
