"""``sitemap`` and ``scrape`` harvesting: a Scrapy crawl in a child process, its pages read as records.

The crawl runs in ``python -m harvesters.scrapy_child`` (never in the worker: a Twisted reactor
cannot be restarted), configured from the source options and the hub's HTTP policy; this side
reads the pages it prints, one RawRecord per HTML page, and puts Scrapy's counters on the run
(requests, statuses, pages refused by robots.txt or by the SSRF guard).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from harvesters.base import HarvestItem, HarvestState, SourceSpec
from harvesters.crawl_options import CrawlOptions
from harvesters.errors import ConfigurationError, TransientError
from harvesters.http import HttpPolicy
from harvesters.options import place_context
from harvesters.records import RawRecord, RecordFailure, json_payload

CONTENT_TYPE = "application/x-web-page+json"


def cache_dir(spec: SourceSpec[CrawlOptions]) -> str:
    """Where the crawl's HTTP cache lives: the ``cache_dir`` option, else ``$GKSS_HOME/http-cache/<id>``."""
    if spec.options.cache_dir:
        return spec.options.cache_dir
    return str((Path(os.environ.get("GKSS_HOME", ".gkss")) / "http-cache" / spec.id).resolve())


class ScrapyHarvester:
    """Runs one crawl of a site (mode ``sitemap`` or ``scrape``) in a child process."""

    mode = "sitemap"

    def __init__(
        self, spec: SourceSpec[CrawlOptions], policy: HttpPolicy, client: httpx.Client | None = None
    ) -> None:
        self.spec = spec
        self.policy = policy
        options = spec.options
        self.per_host = options.per_host
        self.max_pages = options.max_pages
        self.max_seconds = options.max_seconds
        self.depth = options.depth
        self.delay = float(options.delay)
        self.allow = options.patterns("allow")
        self.deny = options.patterns("deny")
        self.selectors = dict(options.selectors or {})
        self.context = place_context(spec)

    def config(self, state: HarvestState) -> dict[str, Any]:
        """What the child needs: the site, the patterns, the politeness and safety limits."""
        since = state.since.replace(tzinfo=state.since.tzinfo or UTC).isoformat() if state.since else None
        return {
            "mode": self.mode,
            "url": self.spec.url,
            "allow": self.allow,
            "deny": self.deny,
            "selectors": self.selectors,
            "since": since,
            "per_host": self.per_host,
            "delay": self.delay,
            "max_pages": self.max_pages,
            "max_seconds": self.max_seconds,
            "depth": self.depth,
            "user_agent": self.policy.user_agent,
            "max_bytes": self.policy.max_bytes,
            "timeout": self.policy.read_timeout,
            "retries": self.policy.max_retries,
            "allow_private": self.policy.check_destination is None,
            "cache_dir": cache_dir(self.spec),
        }

    def harvest(self, state: HarvestState) -> Iterator[HarvestItem]:
        """Start the child, yield a record per page it prints, then put its counters on the run."""
        if urlsplit(self.spec.url).scheme.lower() not in ("http", "https"):
            raise ConfigurationError(f"{self.spec.id}: site URL must be http(s), got {self.spec.url!r}")
        if self.policy.check_destination is not None:  # the child checks every later request itself
            self.policy.check_destination(self.spec.url)
        with tempfile.TemporaryFile() as stderr:
            child = subprocess.Popen(
                [sys.executable, "-m", "harvesters.scrapy_child"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                encoding="utf-8",
            )
            watchdog = threading.Timer(self.max_seconds + 60, child.kill)
            watchdog.start()
            try:
                assert child.stdin is not None and child.stdout is not None
                child.stdin.write(json.dumps(self.config(state)))
                child.stdin.close()
                for line in child.stdout:
                    item = self._item(line, state)
                    if item is not None:
                        yield item
                code = child.wait()
            finally:
                watchdog.cancel()
                if child.poll() is None:
                    child.kill()
                    child.wait()
            if code != 0:
                stderr.seek(0)
                tail = stderr.read()[-800:].decode("utf-8", "replace").strip()
                raise TransientError(f"{self.spec.id}: crawl process exited with {code}: {tail}")

    def _item(self, line: str, state: HarvestState) -> HarvestItem | None:
        try:
            message = json.loads(line)
        except ValueError:
            return None  # a stray print from a library: not ours
        if not isinstance(message, dict):
            return None
        if "page" in message:
            page = message["page"]
            url = _native_url(page)
            payload = {"page": page, "context": self.context}
            return RawRecord(self.spec.id, str(url), CONTENT_TYPE, json_payload(payload))
        if "failure" in message:
            failure = message["failure"]
            return RecordFailure(self.spec.id, failure.get("url"), str(failure.get("error")))
        if "stats" in message:
            self._count(message["stats"], state)
        return None

    def _count(self, stats: dict[str, Any], state: HarvestState) -> None:
        state.requests += int(stats.get("downloader/request_count", 0))
        state.bytes += int(stats.get("downloader/response_bytes", 0))
        prefix = "downloader/response_status_count/"
        for key, value in stats.items():
            if key.startswith(prefix):
                status = key[len(prefix) :]
                state.statuses[status] = state.statuses.get(status, 0) + int(value)
        for key, label in (
            ("robotstxt/forbidden", "requests disallowed by robots.txt"),
            ("gkss/refused_by_guard", "requests refused by the SSRF guard"),
            ("httpcache/revalidate", "pages revalidated with a conditional GET"),
            ("downloader/exception_type_count/scrapy.exceptions.IgnoreRequest", "requests ignored"),
        ):
            if stats.get(key):
                state.notes.append(f"{self.spec.id}: {stats[key]} {label}")
        reason = stats.get("finish_reason")
        if reason and reason != "finished":
            state.notes.append(f"{self.spec.id}: crawl stopped: {reason}")


def _native_url(page: dict[str, Any]) -> str:
    """The page's canonical URL when it names one on the same host, else the URL it was read from."""
    url = str(page["url"])
    canonical = page["metadata"]["html"].get("canonical")
    if isinstance(canonical, str):
        absolute = urljoin(url, canonical)
        if urlsplit(absolute).netloc == urlsplit(url).netloc and absolute.startswith(("http://", "https://")):
            return absolute
    return url


class SitemapHarvester(ScrapyHarvester):
    """Pages listed by the site's sitemaps (robots.txt ``Sitemap:`` lines, else ``/sitemap.xml``)."""

    mode = "sitemap"


class ScrapeHarvester(ScrapyHarvester):
    """Pages reached by following links from the source URL within the site."""

    mode = "scrape"
