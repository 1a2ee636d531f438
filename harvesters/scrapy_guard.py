"""The SSRF guard as a Scrapy downloader middleware: every request, redirect hop and robots.txt fetch."""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from harvesters.netguard import UnsafeDestination, check_url

logger = logging.getLogger(__name__)


class NetGuardMiddleware:
    """Refuses a request before it is sent when its URL resolves to a non-public address.

    Placed first in the downloader chain (priority 50): redirects re-enter the chain as new
    requests and robots.txt is fetched through it, so neither bypasses the check.
    ``GKSS_ALLOW_PRIVATE_NETWORKS`` (a Scrapy setting passed by the harvester) turns it off.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.allow_private = crawler.settings.getbool("GKSS_ALLOW_PRIVATE_NETWORKS")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> Any:
        try:
            check_url(request.url, allow_private=self.allow_private)
        except UnsafeDestination as exc:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("gkss/refused_by_guard")
            logger.warning("refused by the SSRF guard: %s", exc)
            raise IgnoreRequest(str(exc)) from exc
        return None
