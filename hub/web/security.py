"""Security headers of the hub's HTML pages: a script-strict Content-Security-Policy, nosniff, referrer."""

from __future__ import annotations

_BASE = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'"
)


def html_headers(*, scripts: bool = True, framed: bool = False, frames: bool = False) -> dict[str, str]:
    """Headers for one HTML page: no inline script ever; ``framed`` pages may be embedded by any site;
    ``frames`` pages may show the hub's own pages in an iframe (the snippet page's preview)."""
    policy = _BASE if scripts else _BASE.replace("script-src 'self'", "script-src 'none'")
    policy += "; frame-src 'self'" if frames else ""
    policy += "" if framed else "; frame-ancestors 'self'"
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if not framed:
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers
