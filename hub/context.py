"""The Hub: settings, store and search index opened together by an entry point."""

from __future__ import annotations

from dataclasses import dataclass

from hub.search.base import SearchIndex
from hub.search.factory import open_index
from hub.settings import Settings
from hub.store import Store


@dataclass
class Hub:
    """Everything a command or request needs, built once from Settings."""

    settings: Settings
    store: Store
    index: SearchIndex

    def close(self) -> None:
        self.index.close()
        self.store.close()


def open_hub(settings: Settings | None = None) -> Hub:
    """Open (and create when missing) the store and index the settings name."""
    settings = settings or Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    store = Store(settings.resolved_database_url())
    store.create_all()
    index = open_index(settings.search_url, settings.home, settings.search_index)
    return Hub(settings=settings, store=store, index=index)
