"""The six UN languages and mapping of language tags onto them."""

from __future__ import annotations

UN_LANGUAGES: tuple[str, ...] = ("ar", "en", "es", "fr", "ru", "zh")

_ALIASES = {
    "ara": "ar", "arabic": "ar",
    "eng": "en", "english": "en",
    "spa": "es", "esl": "es", "spanish": "es", "español": "es",
    "fre": "fr", "fra": "fr", "french": "fr", "français": "fr",
    "rus": "ru", "russian": "ru",
    "chi": "zh", "zho": "zh", "chinese": "zh",
}  # fmt: skip


def normalize_language(tag: str | None) -> str:
    """Map a language tag (``en-US``, ``fre``, ``French``) to a short tag; ``und`` when unknown."""
    if not tag:
        return "und"
    value = tag.strip().lower().replace("_", "-")
    if not value:
        return "und"
    if value in _ALIASES:
        return _ALIASES[value]
    primary = value.split("-", 1)[0]
    if primary in _ALIASES:
        return _ALIASES[primary]
    if 2 <= len(primary) <= 3 and primary.isalpha():
        return primary
    return "und"
