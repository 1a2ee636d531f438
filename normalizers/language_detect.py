"""Which language a text is in, when the source does not say: py3langid, the network's languages first.

Chosen by measurement (tests/benchmarks/bench_language_id.py, figures in docs/enrichment.md) over
lingua-language-detector and the hub's former six-language stop-word heuristic: py3langid 0.4.0
ships its model inside its package (nothing is downloaded at run time) and is the cheaper of the two
per record. It ranks all its 97 languages; the best is taken when it is one of the languages the
network publishes in (``NETWORK_LANGUAGES``) or when the model is at least
``MIN_FOREIGN_PROBABILITY`` sure of it, else the best network language. That keeps it from naming a
neighbouring language nobody in the network writes for a short English title, yet lets an OAI
repository's Slovak or Greek record come out as what it is.

The model (about 1.5 s to load; a second copy restricted to the network's languages for the unsure
case, cheaper than ranking all languages) is loaded on first use, not on import. A text shorter than
``MIN_CHARS`` is too short to tell and comes out None ("unknown"), except a run of Han characters
without kana or hangul (``zh``); so is a text whose chosen language has a probability below
``MIN_PROBABILITY``. A language the source states always wins: callers detect only what is keyed
``und``.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# The locales of the network's Bioland national CHM sites (shared/testdata/cbd/
# bioland_multisite_sites_config.json, every site's ``locale`` and ``locales``).
NETWORK_LANGUAGES: tuple[str, ...] = (
    "am", "ar", "as", "az", "bn", "de", "dz", "en", "es", "fil", "fr", "id", "it", "km", "ko",
    "ky", "lo", "mn", "ms", "my", "ne", "nl", "pt", "ru", "sr", "ss", "sw", "ta", "th", "tn",
    "ur", "vi", "zh",
)  # fmt: skip
MIN_CHARS = 20
MIN_PROBABILITY = 0.2
MIN_FOREIGN_PROBABILITY = 0.9  # a language outside the network only when the model is this sure
_MODEL_CODES = {"fil": "tl"}  # py3langid names Filipino by its Tagalog base
_FROM_MODEL = {model: code for code, model in _MODEL_CODES.items()}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")


@cache
def _identifier(network_only: bool = False) -> Any:
    """py3langid's model over all its languages, or over the network's only (sharing the full model's
    arrays: only the network's columns are copied, not a second model of some 80 MB)."""
    from py3langid.langid import MODEL_FILE

    from normalizers.language_walk import WalkingIdentifier

    if not network_only:
        return WalkingIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    full = _identifier()
    model = (full.nb_ptc, full.nb_pc, full.nb_classes, full.tk_nextmove, full.tk_output)
    identifier = WalkingIdentifier(*model, norm_probs=True, tk_row=full.tk_row)
    identifier.set_languages([code for code in _network() if code in identifier.nb_classes])
    return identifier


def release_model() -> None:
    """Let go of the loaded model (some 80 MB): a process whose records are now normalised by a
    helper process needs it no more (it is loaded again if it does)."""
    _identifier.cache_clear()


@cache
def _network() -> frozenset[str]:
    return frozenset(_MODEL_CODES.get(code, code) for code in NETWORK_LANGUAGES)


def detect_language(text: str) -> str | None:
    """The BCP 47 primary subtag of the text's language; None when the text does not say clearly."""
    text = " ".join(text.split())
    if len(text) < MIN_CHARS:
        if len(_HAN.findall(text)) >= 4 and not _KANA_HANGUL.search(text):
            return "zh"
        return None
    best, probability = _identifier().classify(text)
    sure = probability >= MIN_FOREIGN_PROBABILITY
    if not sure and not (best in _network() and probability >= MIN_PROBABILITY):
        # unsure: the best network language, with its probability among the network's languages
        best, probability = _identifier(network_only=True).classify(text)
        if probability < MIN_PROBABILITY:
            return None
    return _FROM_MODEL.get(str(best), str(best))
