"""Languages: the six UN languages, and one code per language (a BCP 47 primary subtag) for any tag.

``normalize_language`` maps every way a source names a language onto its BCP 47 primary subtag, so a
record never carries two codes for one language: ISO 639-1 (``de``), 639-2/B and 639-2/T (``ger``,
``deu``), a BCP 47 tag with script or region (``de-AT``, ``zh-Hans``, ``en_US``), the deprecated
639-1 codes (``in``, ``iw``) and the language's name in any of the six UN languages (``German``,
``allemand``) or in a few common endonyms (``Deutsch``, ``Kiswahili``). Names come from
normalizers/data/languages.json (ISO 639 via pycountry, CLDR names via babel; built by
``build_languages.py``). ``language_name`` gives a code's name in an interface language.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources

UN_LANGUAGES: tuple[str, ...] = ("ar", "en", "es", "fr", "ru", "zh")

# Tags that are not codes of one language, deprecated 639-1 codes, and endonyms CLDR's UN-language
# names do not list (a source writing its language in that language).
_EXTRA = {
    "und": "und", "mul": "und", "zxx": "und", "mis": "und", "other": "und", "unknown": "und",
    "in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro", "sh": "sr", "cmn": "zh",
    "esl": "es", "español": "es", "castellano": "es", "français": "fr", "deutsch": "de",
    "italiano": "it", "português": "pt", "portugues": "pt", "bahasa indonesia": "id",
    "kiswahili": "sw", "nederlands": "nl", "русский": "ru", "中文": "zh", "العربية": "ar",
}  # fmt: skip


@cache
def _table() -> dict[str, dict[str, object]]:
    text = resources.files("normalizers").joinpath("data", "languages.json").read_text(encoding="utf-8")
    table: dict[str, dict[str, object]] = json.loads(text)
    return table


@cache
def _aliases() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for code, entry in _table().items():
        names = entry["names"]
        codes = entry["codes"]
        assert isinstance(names, dict) and isinstance(codes, list)
        for alias in [*codes, *names.values()]:
            aliases.setdefault(str(alias).casefold(), code)
        aliases[code] = code
    aliases.update(_EXTRA)
    return aliases


def language_codes() -> tuple[str, ...]:
    """Every primary subtag the vocabulary names (ISO 639-1 codes)."""
    return tuple(_table())


def language_name(code: str, lang: str = "en") -> str:
    """The name of language ``code`` in interface language ``lang`` (English, then the code, if none)."""
    entry = _table().get(code)
    if entry is None:
        return code
    names = entry["names"]
    assert isinstance(names, dict)
    return str(names.get(lang) or names.get("en") or code)


@lru_cache(maxsize=4096)  # the same few tags on every record of a source
def normalize_language(tag: str | None) -> str:
    """The BCP 47 primary subtag of a language tag or name (``ger``, ``de-AT``, ``German`` -> ``de``).

    ``und`` when the tag names no language (empty, ``other``, ``mul``) or nothing recognisable; a
    two- or three-letter code the vocabulary does not list is kept as it is (lower case).
    """
    if not tag:
        return "und"
    value = " ".join(tag.strip().casefold().replace("_", "-").split())
    if not value:
        return "und"
    aliases = _aliases()
    if value in aliases:
        return aliases[value]
    primary = value.split("-", 1)[0]
    if primary in aliases:
        return aliases[primary]
    if 2 <= len(primary) <= 3 and primary.isascii() and primary.isalpha():
        return primary
    return "und"
