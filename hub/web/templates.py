"""Jinja2 templates of the HTML pages, autoescaped, rendered with the security headers."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from hub.web.i18n import LANGUAGE_NAMES, LANGUAGES, direction, say, strings
from hub.web.sanitize import http_url, safe_highlight, safe_html
from hub.web.security import html_headers
from normalizers.vocabularies.languages import language_name


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("hub.web", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["sanitize"] = safe_html
    env.filters["highlight"] = safe_highlight
    env.filters["http_url"] = http_url
    env.globals.update(languages=LANGUAGES, language_names=LANGUAGE_NAMES, facet_label=facet_label)
    return env


def facet_label(facet: str, value: str, lang: str) -> str:
    """What a facet value is called in interface language ``lang`` (a language's name; else the value)."""
    return language_name(value, lang) if facet == "language" else value


def render(
    name: str, lang: str, *, status: int = 200, scripts: bool = True, framed: bool = False, **context: Any
) -> HTMLResponse:
    """The page ``name`` in ``lang`` with ``t`` (UI strings), ``say`` and ``dir`` in its context."""
    body = (
        environment()
        .get_template(name)
        .render(
            lang=lang,
            dir=direction(lang),
            t=strings(lang),
            say=lambda key, **v: say(lang, key, **v),
            **context,
        )
    )
    return HTMLResponse(body, status_code=status, headers=html_headers(scripts=scripts, framed=framed))
