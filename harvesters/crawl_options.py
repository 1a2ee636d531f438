"""The options of the ``sitemap`` and ``scrape`` protocols: what a crawl follows, reads and is allowed."""

from __future__ import annotations

from pydantic import Field, StrictFloat, StrictInt, StrictStr

from harvesters.base import SourceOptions

DEFAULT_MAX_PAGES = 1000
DEFAULT_MAX_SECONDS = 3600


class CrawlOptions(SourceOptions):
    """The options of a ``sitemap`` or ``scrape`` source."""

    allow: StrictStr | list[StrictStr] | None = None
    """Regular expression(s) a page URL must match to be followed (default: the whole site)."""
    deny: StrictStr | list[StrictStr] | None = None
    """Regular expression(s) of page URLs never followed."""
    selectors: dict[StrictStr, StrictStr] | None = None
    """Field name -> ``css:`` or ``xpath:`` expression, read after JSON-LD, OpenGraph and Dublin Core."""
    per_host: StrictInt = Field(default=1, ge=1, le=2)
    """Concurrent requests per host."""
    delay: StrictInt | StrictFloat = Field(default=1.0, ge=0, le=60)
    """Seconds between two requests to the host (AutoThrottle starts there)."""
    max_pages: StrictInt = Field(default=DEFAULT_MAX_PAGES, ge=1, le=1_000_000)
    """The most pages one crawl fetches."""
    max_seconds: StrictInt = Field(default=DEFAULT_MAX_SECONDS, ge=1, le=7 * 86_400)
    """The longest one crawl runs."""
    depth: StrictInt = Field(default=3, ge=0, le=20)
    """How many links deep a ``scrape`` crawl follows from the start page."""
    cache_dir: StrictStr | None = None
    """Where the crawl's HTTP cache lives (default ``$GKSS_HOME/http-cache/<source id>``)."""

    def patterns(self, name: str) -> list[str]:
        """``allow`` or ``deny`` as a list."""
        value = self.allow if name == "allow" else self.deny
        return [value] if isinstance(value, str) else list(value or [])
