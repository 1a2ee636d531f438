"""Harvested text that reaches HTML, cleaned by nh3 (the ammonia sanitizer) to a small allowlist."""

from __future__ import annotations

import html

import nh3
from markupsafe import Markup

_TEXT_TAGS = {"p", "br", "em", "strong", "b", "i", "ul", "ol", "li", "a", "mark", "sub", "sup", "code"}
_URL_SCHEMES = {"http", "https", "mailto"}


def safe_html(text: str | None) -> Markup:
    """A harvested description as HTML: light markup kept, scripts, handlers, styles and bad URLs dropped.
    HTML that a source escaped once more (``&lt;p&gt;``, no tag of its own) is read as the HTML it is."""
    value = text or ""
    if "&lt;" in value and "<" not in value:
        value = html.unescape(value)
    return Markup(
        nh3.clean(
            value,
            tags=_TEXT_TAGS,
            attributes={"a": {"href"}},
            url_schemes=_URL_SCHEMES,
            link_rel="nofollow noopener noreferrer",
        )
    )


def plain_text(text: str | None) -> str:
    """Harvested HTML (also HTML escaped once more, as some feeds send it) as its plain text, no tags."""
    out = text or ""
    for _ in range(2):
        if "<" not in out and "&" not in out:
            break
        out = html.unescape(nh3.clean(out, tags=set(), clean_content_tags={"script", "style"}))
    return " ".join(out.split())


def safe_highlight(fragment: str) -> Markup:
    """A search highlight (escaped text, matches in <em>) with nothing but its <em> elements."""
    return Markup(nh3.clean(fragment, tags={"em"}, attributes={}))


def http_url(value: str | None) -> str | None:
    """An absolute http(s) URL, else None: harvested links never become javascript: or data: hrefs."""
    url = (value or "").strip()
    scheme, _, rest = url.partition(":")
    return url if scheme.lower() in ("http", "https") and rest.startswith("//") else None
