"""Where `/api/search` runs its search: on the server's event loop when the engine is CPU work of this
process (the embedded index: no worker thread's hand-offs of the GIL), in a worker thread when it may
wait on the network or a store query (a cluster, a federated search, a node filter); and an embedded
search that never waits for this process's writer."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.search.base import Capabilities, SearchIndex, SearchPage, SearchQuery
from hub.search.tantivy_index import TantivyIndex
from hub.settings import Settings
from normalizers.resource import Resource
from registry.nodes import add_node
from tests.contract.conftest import load_corpus


class Watched:
    """The hub's real index, noting for each search whether it ran on an event loop's thread."""

    def __init__(self, index: SearchIndex, capabilities: Capabilities) -> None:
        self.index = index
        self.capabilities = capabilities
        self.on_loop: list[bool] = []

    def search(self, query: SearchQuery) -> SearchPage:
        try:
            asyncio.get_running_loop()
            self.on_loop.append(True)
        except RuntimeError:  # a worker thread has no running loop
            self.on_loop.append(False)
        return self.index.search(query)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


@pytest.fixture(scope="module")
def corpus() -> list[Resource]:
    return load_corpus()


@pytest.fixture
def hub(tmp_path: Path, corpus: list[Resource]) -> Iterator[Hub]:
    hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None, api_rate=0))
    hub.index.add(corpus)
    yield hub
    hub.close()


def searches(hub: Hub, capabilities: Capabilities, *paths: str) -> list[bool]:
    """Serve ``paths`` with the hub's index declaring ``capabilities``; where each search ran."""
    watched = Watched(hub.index, capabilities)
    hub.index_opened = watched  # type: ignore[assignment]
    with TestClient(create_app(hub.settings, hub)) as client:
        for path in paths:
            assert client.get(path).status_code == 200, path
    return watched.on_loop


def test_the_embedded_index_declares_its_searches_in_process(hub: Hub) -> None:
    assert isinstance(hub.index, TantivyIndex) and hub.index.capabilities.in_process
    assert not Capabilities().in_process  # a backend says so, or its searches go to a thread


def test_an_embedded_search_runs_on_the_event_loop(hub: Hub) -> None:
    on_loop = searches(hub, hub.index.capabilities, "/api/search?q=biodiversity", "/api/search?sort=date")
    assert on_loop == [True, True]


def test_a_search_that_may_wait_runs_in_a_worker_thread(hub: Hub) -> None:
    remote = dataclasses.replace(hub.index.capabilities, in_process=False)  # as a cluster declares
    assert searches(hub, remote, "/api/search?q=biodiversity") == [False]
    add_node(hub.store, "secretariat", "CBD Secretariat", "service")
    # a node filter is a store query first (PostgreSQL in a scale-out hub): off the loop too
    assert searches(hub, hub.index.capabilities, "/api/search?node=secretariat") == [False]


def test_a_search_does_not_wait_for_this_process_writer(tmp_path: Path, corpus: list[Resource]) -> None:
    """A writer of this process holds the index's lock for its whole batch; a search meanwhile is
    answered from the last commit instead of waiting (it may run on the server's event loop)."""
    directory = tmp_path / "index"
    index = TantivyIndex(directory)
    index.add(corpus[:5])
    writing, release = threading.Event(), threading.Event()

    def batch() -> Iterator[Resource]:
        yield corpus[0]
        writing.set()
        release.wait(120)
        yield from corpus[1:]

    writer = threading.Thread(target=index.rebuild, args=(batch(),))
    writer.start()
    try:
        assert writing.wait(60), "the writer did not start"
        meta = directory / "meta.json"
        stat = meta.stat()
        os.utime(meta, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # as another commit shows
        totals: list[int] = []
        searcher = threading.Thread(target=lambda: totals.append(index.search(SearchQuery()).total))
        searcher.start()
        searcher.join(60)
        assert totals == [5], "the search waited for the writer (or saw its unfinished commit)"
    finally:
        release.set()
        writer.join(120)
    assert index.search(SearchQuery()).total == len(corpus)
    index.close()
