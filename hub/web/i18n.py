"""UI strings of the HTML pages in the six UN languages (the same file the widget is built with)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
LANGUAGE_NAMES = {
    "ar": "العربية",
    "zh": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}


@cache
def _table() -> dict[str, dict[str, str]]:
    text = resources.files("hub.web").joinpath("strings.json").read_text(encoding="utf-8")
    table: dict[str, dict[str, str]] = json.loads(text)
    return table


def language(value: str | None) -> str:
    """One of the six UN languages (``en`` for anything else)."""
    code = (value or "en")[:2].lower()
    return code if code in LANGUAGES else "en"


def direction(lang: str) -> str:
    return "rtl" if lang == "ar" else "ltr"


def strings(lang: str) -> dict[str, str]:
    """The UI strings of ``lang``, English where a string is missing."""
    table = _table()
    return {**table["en"], **table.get(lang, {})}


def say(lang: str, key: str, **values: object) -> str:
    """One UI string with its ``{placeholders}`` filled."""
    text = strings(lang)[key]
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


LANGUAGE_COOKIE = "gkss_lang"  # the interface language a visitor chose, kept across the hub's pages


def chosen_language(query_value: str | None, cookie_value: str | None) -> str:
    """The page's language: ``?lang`` when given, else the visitor's earlier choice, else English."""
    return language(query_value or cookie_value)
