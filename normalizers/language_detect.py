"""Which language a text is in, when the source does not say: py3langid over the network's languages.

Chosen by measurement (tests/benchmarks/bench_language_id.py, figures in docs/enrichment.md) over
lingua-language-detector and the hub's former six-language stop-word heuristic: py3langid 0.4.0
ships its model inside its package (nothing is downloaded at run time), is the cheaper of the two per
record, and restricting it to the languages the network publishes in (``NETWORK_LANGUAGES``) keeps
it from naming a neighbouring language nobody in the network writes.

The model (about 1.5 s to load) is loaded on first use, not on import. A text shorter than
``MIN_CHARS`` is too short to tell and comes out None ("unknown"), except a run of Han characters
without kana or hangul (``zh`` is the only network language written so); so is a text whose best
language has a probability below ``MIN_PROBABILITY``. A language the source states always wins:
callers detect only what is keyed ``und``.
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
_MODEL_CODES = {"fil": "tl"}  # py3langid names Filipino by its Tagalog base
_FROM_MODEL = {model: code for code, model in _MODEL_CODES.items()}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    wanted = [_MODEL_CODES.get(code, code) for code in NETWORK_LANGUAGES]
    identifier.set_languages([code for code in wanted if code in identifier.nb_classes])
    return identifier


def detect_language(text: str) -> str | None:
    """The BCP 47 primary subtag of the text's language; None when the text does not say clearly."""
    text = " ".join(text.split())
    if len(text) < MIN_CHARS:
        if len(_HAN.findall(text)) >= 4 and not _KANA_HANGUL.search(text):
            return "zh"
        return None
    language, probability = _identifier().classify(text)
    if float(probability) < MIN_PROBABILITY:
        return None
    return _FROM_MODEL.get(str(language), str(language))
