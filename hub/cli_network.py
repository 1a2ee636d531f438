"""CLI pieces for the CBD knowledge network: generic ``--option KEY=VALUE`` source options."""

from __future__ import annotations

import json
from typing import Any


def parse_options(pairs: list[str] | None) -> dict[str, Any]:
    """``["country=KE", "page_size=20"]`` -> options; a value is read as JSON when it parses, else text."""
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--option wants KEY=VALUE, got {pair!r}")
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = text
        options[key.strip()] = value
    return options
