"""UI strings of the HTML pages in the six UN languages (strings.json is also built into the widget)."""

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
    """strings.json (the widget's strings, built into it) and page_strings.json (the pages' only)."""
    table: dict[str, dict[str, str]] = {}
    for name in ("strings.json", "page_strings.json"):
        text = resources.files("hub.web").joinpath(name).read_text(encoding="utf-8")
        for lang, strings_ in json.loads(text).items():
            table.setdefault(lang, {}).update(strings_)
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


ADMIN_SCRIPT = ("admin_", "state_", "severity_", "progress_")  # the strings the admin page's scripts write
PROGRESS_SCRIPT = ("state_", "progress_")  # the strings the progress panel writes (portal and admin page)


def script_strings(lang: str, prefixes: tuple[str, ...]) -> dict[str, str]:
    """The UI strings a page's scripts write (keys starting with ``prefixes``), for a ``data-strings``."""
    return {k: v for k, v in strings(lang).items() if k.startswith(prefixes)}


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
