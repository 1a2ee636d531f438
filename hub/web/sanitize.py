"""Harvested text that reaches HTML, cleaned by nh3 (the ammonia sanitizer) to a small allowlist."""

from __future__ import annotations

import nh3
from markupsafe import Markup

_TEXT_TAGS = {"p", "br", "em", "strong", "b", "i", "ul", "ol", "li", "a", "mark", "sub", "sup", "code"}
_URL_SCHEMES = {"http", "https", "mailto"}


def safe_html(text: str | None) -> Markup:
    """A harvested description as HTML: light markup kept, scripts, handlers, styles and bad URLs dropped."""
    return Markup(
        nh3.clean(
            text or "",
            tags=_TEXT_TAGS,
            attributes={"a": {"href"}},
            url_schemes=_URL_SCHEMES,
            link_rel="nofollow noopener noreferrer",
        )
    )


def safe_highlight(fragment: str) -> Markup:
    """A search highlight (escaped text, matches in <em>) with nothing but its <em> elements."""
    return Markup(nh3.clean(fragment, tags={"em"}, attributes={}))


def http_url(value: str | None) -> str | None:
    """An absolute http(s) URL, else None: harvested links never become javascript: or data: hrefs."""
    url = (value or "").strip()
    scheme, _, rest = url.partition(":")
    return url if scheme.lower() in ("http", "https") and rest.startswith("//") else None
