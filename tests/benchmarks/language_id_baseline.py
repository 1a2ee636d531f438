"""Today's detector before issue 19 (normalizers/language_detect.py at 6a10017), kept for the benchmark.

Which of the six UN languages a text is in, when the source does not say: scripts, then stop words.

A deliberately small heuristic (no model, no dependency), chosen over a statistical library because
the hub only needs the six UN languages and must never guess wildly: Arabic, Cyrillic and CJK
scripts decide ar, ru and zh; Latin text is English, French or Spanish by counting each language's
most frequent function words (those French and Spanish share left out), and only when
the best language has at least twice the hits of the next. Anything else is None (unknown).
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-zà-öø-ÿ']+")
_EN = "the of and to in for on with by is are from at as an be this that or its their which was were has have"
_FR = (
    "le la les des du de et en pour sur dans par une un est sont au aux avec ce cette qui que ses leur l' d'"
)
_ES = "el la los las del de y en para por con una un es son al que su sus sobre entre como o se"
STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(_EN.split()),
    "fr": frozenset(_FR.split()),
    "es": frozenset(_ES.split()),
}
_SHARED = STOPWORDS["fr"] & STOPWORDS["es"]  # "de", "la", "en", "que", ...


def _script_share(text: str) -> dict[str, int]:
    counts = {"ar": 0, "ru": 0, "zh": 0, "latin": 0}
    for char in text:
        code = ord(char)
        if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F:
            counts["ar"] += 1
        elif 0x0400 <= code <= 0x04FF:
            counts["ru"] += 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            counts["zh"] += 1
        elif char.isalpha() and code < 0x0250:
            counts["latin"] += 1
    return counts


def detect_language(text: str) -> str | None:
    """``ar``, ``ru``, ``zh``, ``en``, ``fr`` or ``es``; None when the text does not say clearly."""
    if text.isascii():  # every letter is Latin: the script counts need not be made
        if not any(map(str.isalpha, text)):
            return None
    else:
        counts = _script_share(text)
        letters = sum(counts.values())
        if letters == 0:
            return None
        script, top = max(counts.items(), key=lambda item: item[1])
        if script != "latin":
            return script if top >= 0.5 * letters else None
    words = _WORD.findall(text.lower().replace("’", "'"))
    words = [w.split("'", 1)[0] + "'" if "'" in w[:-1] else w for w in words]
    scores = {
        lang: sum(1 for w in words if w in stop and w not in _SHARED) for lang, stop in STOPWORDS.items()
    }
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    (best, first), (_, second) = ranked[0], ranked[1]
    if first == 0 or first < 2 * second:  # no evidence, or no clear margin
        return None
    return best
