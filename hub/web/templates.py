"""Jinja2 templates of the HTML pages, autoescaped, rendered with the security headers."""

from __future__ import annotations

from functools import cache
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from hub.web.i18n import LANGUAGE_NAMES, LANGUAGES, direction, say, strings
from hub.web.labels import gbf_name
from hub.web.sanitize import http_url, plain_text, safe_highlight, safe_html
from hub.web.security import html_headers


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
    env.filters["plain"] = plain_text
    env.filters["http_url"] = http_url
    env.globals.update(languages=LANGUAGES, language_names=LANGUAGE_NAMES, gbf_name=gbf_name)
    return env


def render(
    name: str,
    lang: str,
    *,
    status: int = 200,
    scripts: bool = True,
    framed: bool = False,
    frames: bool = False,
    **context: Any,
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
    headers = html_headers(scripts=scripts, framed=framed, frames=frames)
    return HTMLResponse(body, status_code=status, headers=headers)
