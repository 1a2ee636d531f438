"""The Hub: settings, store and search index opened by an entry point (the index on first use, if asked)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from hub.search.base import SearchIndex
from hub.search.factory import open_index
from hub.settings import Settings
from hub.store import Store
from hub.store.clock import utcnow

logger = logging.getLogger(__name__)


@dataclass
class Hub:
    """Everything a command or request needs, built once from Settings.

    The search index is given open (``index``) or opened on first use (``open_index``): a command that
    only reads the store (``gkss sources list``) never opens it."""

    settings: Settings
    store: Store
    index_opened: SearchIndex | None = None
    open_index: Callable[[], SearchIndex] | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)  # run first by close(), newest first
    clock: Callable[[], datetime] = utcnow  # the current time (UTC); tests inject a fixed one

    @property
    def index(self) -> SearchIndex:
        """The search index, opened now if it was not."""
        if self.index_opened is None:
            if self.open_index is None:
                raise ValueError("this hub has no search index")
            self.index_opened = self.open_index()
        return self.index_opened

    def close(self) -> None:
        """Stop what was started on this Hub (``closers``: delivery workers ...), then its index and store."""
        while self.closers:
            closer = self.closers.pop()
            try:
                closer()
            except Exception:  # one part failing to stop must not keep the store open
                logger.exception("closing %r failed", closer)
        if self.index_opened is not None:
            self.index_opened.close()
        self.store.close()


def open_hub(settings: Settings | None = None, *, lazy_index: bool = False) -> Hub:
    """Open (and create when missing) the store and index the settings name; crash recovery first.

    ``lazy_index``: open the index only when something uses it (crash recovery, when a run needs it;
    a search), for commands that read the store alone."""
    settings = settings or Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url())
    store.create_all()

    def opened() -> SearchIndex:
        index = open_index(
            settings.search_url,
            settings.home,
            settings.search_index,
            settings.search_connection(),
            merge_segments=settings.search_merge_segments,
        )
        if getattr(index, "needs_rebuild", False):  # an embedded index missing or of another version
            from hub.search.maintenance import reindex

            logger.info("search index rebuilt from the store: %d records", reindex(store, index))
        return index

    index = None if lazy_index else opened()  # opened now unless asked: a missing one is rebuilt at start
    hub = Hub(settings=settings, store=store, index_opened=index, open_index=opened)
    recover_hub(hub)
    return hub


def recover_hub(hub: Hub, source_id: str | None = None) -> None:
    """End the runs whose process died and level the index after them (``hub.recovery``); a
    failure here (the index down) is logged and left for the next process, never fatal."""
    from hub.recovery import recover

    try:
        recover(hub.store, lambda: hub.index, source_id)
    except Exception:  # the store stays the truth; the next process that opens the hub tries again
        logger.exception("crash recovery failed; it is tried again by the next process")
