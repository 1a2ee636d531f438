"""The child process of one Scrapy crawl: ``python -m harvesters.scrapy_child``, a JSON config on stdin.

Scrapy runs on a Twisted reactor, which cannot be restarted in a process; a worker therefore never
runs Scrapy itself: each harvest starts this child, which crawls once and exits. It writes one JSON
object per line to stdout: ``{"page": ...}`` for every HTML page read, ``{"failure": ...}`` for
a page that could not be read, and a last ``{"stats": ...}`` with Scrapy's counters.

Politeness and safety are Scrapy settings: ``ROBOTSTXT_OBEY``, AutoThrottle, 1-2 concurrent requests
per host, an RFC 2616 HTTP cache (conditional GET with the validators of the last crawl), the hub's
User-Agent, ``DOWNLOAD_MAXSIZE`` (body and decompressed size), the SSRF guard as a downloader
middleware (every request, redirect hop and robots.txt fetch), and off-site requests dropped.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule, SitemapSpider
from twisted.python.failure import Failure

from harvesters.page_metadata import extract_metadata

HTML_TYPES = ("text/html", "application/xhtml+xml")


def emit(kind: str, value: Any) -> None:
    """One JSON line on stdout, flushed at once so the parent reads pages as they come."""
    sys.stdout.write(json.dumps({kind: value}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _header(response: Response, name: bytes) -> str:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else ""


def page_of(response: Response, selectors: dict[str, str]) -> dict[str, Any] | None:
    """The page record of an HTML response; None for anything else (PDFs, images, feeds)."""
    content_type = _header(response, b"Content-Type").lower()
    if not isinstance(response, TextResponse) or not any(t in content_type for t in HTML_TYPES):
        return None
    return {
        "url": response.url,
        "status": response.status,
        "cached": "cached" in response.flags,
        "last_modified": _header(response, b"Last-Modified") or None,
        "content_language": _header(response, b"Content-Language") or None,
        "metadata": extract_metadata(response.text, response.url, selectors),
    }


class _PageCallbacks:
    """What both spiders do with a page and with a request that failed."""

    config: dict[str, Any]

    def parse_page(self, response: Response) -> Iterable[Any]:
        page = page_of(response, self.config.get("selectors") or {})
        if page is None:
            emit("skipped", {"url": response.url, "reason": "not an HTML page"})
        else:
            emit("page", page)
        return ()

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        url = request.url if request is not None else None
        kind = failure.type.__name__ if failure.type is not None else "Error"
        emit("failure", {"url": url, "error": f"{kind}: {failure.getErrorMessage()}"})


class GkssSitemapSpider(_PageCallbacks, SitemapSpider):
    """Pages listed by the site's sitemaps (found through robots.txt, else ``/sitemap.xml``)."""

    name = "gkss-sitemap"

    def __init__(self, config: dict[str, Any], **kwargs: Any) -> None:
        self.config = config
        url = config["url"]
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if parts.path.endswith((".xml", ".xml.gz", ".txt")):
            self.sitemap_urls = [url]
        else:
            self.sitemap_urls = [f"{root}/robots.txt", f"{root}/sitemap.xml"]
        self.sitemap_rules = [(pattern, "parse_page") for pattern in config.get("allow") or [""]]
        self.allowed_domains = [parts.hostname or ""]
        super().__init__(**kwargs)
        since = config.get("since")
        self.since = datetime.fromisoformat(since) if since else None

    def sitemap_filter(self, entries: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        """Drop entries whose ``lastmod`` is before the incremental window."""
        for entry in entries:
            lastmod = _lastmod(entry.get("lastmod"))
            if self.since is None or lastmod is None or lastmod >= self.since:
                yield entry


class GkssCrawlSpider(_PageCallbacks, CrawlSpider):
    """Pages reached by following links from the start URL, within the site and the allow patterns."""

    name = "gkss-scrape"

    def __init__(self, config: dict[str, Any], **kwargs: Any) -> None:
        self.config = config
        host = urlsplit(config["url"]).hostname or ""
        self.allowed_domains = [host]
        self.start_urls = [config["url"]]
        # off-site links are dropped by Scrapy's OffsiteMiddleware (allowed_domains, by host name: the
        # extractor's allow_domains would compare host:port and drop every link of a site on a port)
        extractor = LinkExtractor(allow=config.get("allow") or (), deny=config.get("deny") or ())
        self.rules = (Rule(extractor, callback="parse_page", errback="on_error", follow=True),)
        super().__init__(**kwargs)

    def parse_start_url(self, response: Response, **kwargs: Any) -> Iterable[Any]:
        """The start page is a page too; its links are followed by the rules."""
        return self.parse_page(response)


def _lastmod(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.now().astimezone().tzinfo)


GUARD_MIDDLEWARE = "harvesters.scrapy_guard.NetGuardMiddleware"
"""The outbound guard as a downloader middleware (see ``harvesters.netguard``)."""


def settings_for(config: dict[str, Any]) -> dict[str, Any]:
    """The Scrapy settings of one crawl (see the module docstring)."""
    per_host = int(config["per_host"])
    delay = float(config["delay"])
    return {
        "USER_AGENT": config["user_agent"],
        "ROBOTSTXT_OBEY": True,
        "CONCURRENT_REQUESTS": per_host,
        "CONCURRENT_REQUESTS_PER_DOMAIN": per_host,
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": delay > 0,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": 60.0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0,
        "HTTPCACHE_ENABLED": True,
        "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
        "HTTPCACHE_DIR": config["cache_dir"],
        "DOWNLOAD_MAXSIZE": int(config["max_bytes"]),
        "DOWNLOAD_WARNSIZE": min(int(config["max_bytes"]), 8 * 1024 * 1024),
        "DOWNLOAD_TIMEOUT": float(config["timeout"]),
        "RETRY_TIMES": int(config.get("retries", 2)),
        "DEPTH_LIMIT": int(config.get("depth", 3)),
        "CLOSESPIDER_PAGECOUNT": int(config["max_pages"]),
        "CLOSESPIDER_TIMEOUT": float(config["max_seconds"]),
        "DOWNLOADER_MIDDLEWARES": {GUARD_MIDDLEWARE: 50},
        "GKSS_ALLOW_PRIVATE_NETWORKS": bool(config["allow_private"]),
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }


def run(config: dict[str, Any]) -> None:
    """Crawl once with the config's spider and print the stats line at the end."""
    spider: type[Spider] = GkssSitemapSpider if config["mode"] == "sitemap" else GkssCrawlSpider
    settings = settings_for(config)
    guard = settings["DOWNLOADER_MIDDLEWARES"].get(GUARD_MIDDLEWARE)
    if guard is None:  # every request of the crawl passes the outbound guard, or nothing is crawled
        raise RuntimeError(f"{GUARD_MIDDLEWARE} is not among the downloader middlewares")
    process = CrawlerProcess(settings=settings, install_root_handler=True)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, config=config)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    emit("stats", {k: v for k, v in stats.items() if isinstance(v, int | float | str)})


def main() -> None:
    run(json.loads(sys.stdin.read()))


if __name__ == "__main__":
    main()
