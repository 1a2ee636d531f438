"""robots.txt for harvesters of web resources (feeds): read once per host, cached, by RFC 9309."""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from dataclasses import replace
from urllib.parse import urlsplit

import httpx

from harvesters.errors import HarvestError, ResponseTooLarge, TransientError
from harvesters.http import HttpPolicy, fetch_once

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 2.5: at least 500 KiB must be read; more is not needed
CACHE_SECONDS = 24 * 3600.0  # RFC 9309 2.4: a robots.txt should not be cached for more than 24 hours


class RobotsDisallowed(HarvestError):
    """The site's robots.txt does not let the hub fetch this URL."""


class RobotsCache:
    """Each origin's robots.txt, fetched at most once per ``CACHE_SECONDS`` (process-wide).

    RFC 9309 2.3.1: a 2xx answer is parsed; 4xx (403 included) means no rules (everything is
    allowed); 5xx or an unreachable site means everything is disallowed for now (and is retried
    on the next run rather than cached for a day).
    """

    def __init__(self) -> None:
        self._rules: dict[str, tuple[float, urllib.robotparser.RobotFileParser | bool]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def check(self, client: httpx.Client, policy: HttpPolicy, url: str) -> None:
        """Return when ``url`` may be fetched; RobotsDisallowed when robots.txt says no."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        rules = self._rules_of(client, policy, origin)
        agent = policy.user_agent.split("/", 1)[0]  # the product token, e.g. gkss-hub
        if rules is True or (rules is not False and rules.can_fetch(agent, url)):
            return
        why = "robots.txt disallows it" if rules is not False else "robots.txt could not be read (5xx)"
        raise RobotsDisallowed(f"{url}: not fetched: {why} for {agent}")

    def _rules_of(
        self, client: httpx.Client, policy: HttpPolicy, origin: str
    ) -> urllib.robotparser.RobotFileParser | bool:
        now = time.monotonic()
        with self._lock:
            cached = self._rules.get(origin)
        if cached is not None and cached[0] > now:
            return cached[1]
        rules, keep = _fetch_rules(client, policy, origin)
        with self._lock:
            self._rules[origin] = (now + keep, rules)
        return rules


def _fetch_rules(
    client: httpx.Client, policy: HttpPolicy, origin: str
) -> tuple[urllib.robotparser.RobotFileParser | bool, float]:
    """(parsed rules, True: all allowed, False: all disallowed) and how long to keep the answer."""
    small = replace(policy, max_bytes=min(policy.max_bytes, MAX_ROBOTS_BYTES))
    try:
        response = fetch_once(client, small, "GET", origin + "/robots.txt")
    except (TransientError, ResponseTooLarge):
        return False, 0.0  # unreachable (or unreadable): disallowed for this run only
    if 200 <= response.status < 300:
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(response.content.decode("utf-8", "replace").splitlines())
        return parser, CACHE_SECONDS
    if 400 <= response.status < 500:
        return True, CACHE_SECONDS
    return False, 0.0


ROBOTS = RobotsCache()
