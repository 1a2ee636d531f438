"""Per-source options about what follows a run: the notification webhook and adaptive feed polling."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

NOTIFY_ON = ("failure", "always")
RUN_OPTIONS = frozenset({"notify_url", "notify_on", "adaptive_polling"})


def notify_target(options: dict[str, Any], status: str) -> str | None:
    """The webhook to tell about a run that ended ``status``, or None: ``notify_on`` is ``failure``
    (the default: failed and quarantined runs) or ``always``."""
    url = options.get("notify_url")
    if not url:
        return None
    when = options.get("notify_on") or "failure"
    return str(url) if when == "always" or status in ("failed", "quarantined") else None


def adaptive_polling(protocol: str, options: dict[str, Any]) -> bool:
    """Feeds are polled by their own update frequency unless ``adaptive_polling`` is false."""
    return protocol == "feed" and options.get("adaptive_polling", True) is not False


def check_run_options(options: dict[str, Any]) -> None:
    url = options.get("notify_url")
    if url is not None:
        parts = urlsplit(str(url))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"notify_url must be an absolute http(s) URL, got {url!r}")
    when = options.get("notify_on")
    if when is not None and when not in NOTIFY_ON:
        raise ValueError(f"notify_on must be one of {', '.join(NOTIFY_ON)}, got {when!r}")
    if when is not None and url is None:
        raise ValueError("notify_on needs a notify_url")
    if "adaptive_polling" in options and not isinstance(options["adaptive_polling"], bool):
        raise ValueError("adaptive_polling must be true or false")
