"""One shape from registration to run: the store hands out the typed source (StoredSource, its options
read by its protocol's model), never its ORM row, and every reader of a source reads that."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from harvesters.feed import FeedOptions
from hub.api import create_app
from hub.context import Hub, open_hub
from hub.settings import Settings
from hub.store import Store
from hub.store.models import SourceRow
from registry.source_options import CommonOptions
from registry.sources import StoredSource, source_enabled, stored_source
from tests.support.databases import database_kinds, fresh_database

ROOT = Path(__file__).resolve().parents[2]
GIVEN = {"max_entries": 50, "title": "Kenya CHM news", "country": "KE", "enabled": False}


def _typed(source: object) -> StoredSource:
    assert not isinstance(source, SourceRow), "the store handed out its ORM row"
    assert isinstance(source, StoredSource)
    return source


@pytest.fixture(params=database_kinds())
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with fresh_database(request.param, tmp_path) as url:
        s = Store(url)
        s.create_all()
        yield s
        s.close()


def test_every_store_function_hands_out_the_typed_source(store: Store) -> None:
    added = _typed(store.add_source("ke", "feed", "https://ke.example/rss", GIVEN, node_id="africa"))
    got = _typed(store.get_source("ke"))
    listed = [_typed(source) for source in store.list_sources()]
    changed = _typed(store.update_source("ke", options={"max_entries": 20}))
    for source in (added, got, *listed):
        assert (source.id, source.protocol, source.url, source.node_id) == (
            "ke",
            "feed",
            "https://ke.example/rss",
            "africa",
        )
        assert isinstance(source.options, FeedOptions) and isinstance(source.options, CommonOptions)
        assert (source.options.max_entries, source.options.title, source.options.country) == (
            50,
            "Kenya CHM news",
            "KE",
        )
        assert not source.options.enabled and not source_enabled(source)
        assert source.stored_options == GIVEN and source.ignored == [] and source.problem is None
    assert isinstance(changed.options, FeedOptions) and changed.options.max_entries == 20
    assert changed.stored_options == {**GIVEN, "max_entries": 20}


def test_no_module_outside_the_store_names_the_source_row() -> None:
    naming = [
        str(path.relative_to(ROOT))
        for package in ("harvesters", "normalizers", "registry", "federation", "hub")
        for path in (ROOT / package).rglob("*.py")
        if "store" not in path.relative_to(ROOT).parts[:2] and re.search(r"\bSourceRow\b", path.read_text())
    ]
    assert naming == []


def test_a_refused_stored_option_keeps_the_others() -> None:
    stored = stored_source("old", "feed", "https://old.example/rss", {"max_entries": 0, "enabled": False})
    assert stored.problem is not None and "option max_entries" in stored.problem
    assert not source_enabled(stored)  # still off: `gkss harvest --all` leaves it alone, as before
    assert stored.stored_options == {"max_entries": 0, "enabled": False}  # kept as stored


def test_a_source_label_is_its_typed_title(tmp_path: Path) -> None:
    hub: Hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None))
    try:
        hub.store.add_source("ke-news", "feed", "https://ke.example/rss", {"title": "  Kenya CHM news "})
        hub.store.add_source("cbd-meetings", "cbd-index", "https://cbd.example/", {"preset": "meetings"})
        with TestClient(create_app(hub.settings, hub)) as client:
            labels = client.get("/embed/labels", params={"lang": "en"}).json()["source"]
    finally:
        hub.close()
    assert labels == {"ke-news": "Kenya CHM news", "cbd-meetings": "CBD meetings"}
