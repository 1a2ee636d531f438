"""The contract suite's fixtures: the real-data corpus and one loaded ``index`` per backend."""

from __future__ import annotations

import functools
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.cluster_connection import ClusterConnection, Engine, detect_engine
from hub.search.base import SearchIndex
from hub.search.cluster import ClusterIndex
from hub.search.cluster_open import index_class
from hub.search.tantivy_index import TantivyIndex
from normalizers.resource import Resource

SEARCH_ENV = "GKSS_TEST_SEARCH_URL"  # the default cluster (Elasticsearch in CI)
OPENSEARCH_ENV = "GKSS_TEST_OPENSEARCH_URL"  # a second cluster, of the other engine (OpenSearch in CI)
CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "contract" / "corpus.json"
# The cluster index gets a tiny result window, so paging past it must go through search_after:
# the server itself refuses from+size beyond index.max_result_window.
CLUSTER_WINDOW = 20


@dataclass(frozen=True, slots=True)
class Backend:
    """A backend under test and what its free text promises beyond the common contract."""

    name: str
    exact_text: bool  # True: a word matches exactly the records holding it (folded); False: a
    # superset of them (per-language stemming also finds other forms of the word)


BACKENDS = {
    # The embedded engine stems the UN languages it has stemmers for, so it may find more as well.
    "tantivy": Backend("tantivy", exact_text=False),
    "elasticsearch": Backend("elasticsearch", exact_text=False),
    "opensearch": Backend("opensearch", exact_text=False),
}
CLUSTER_ENGINES: tuple[Engine, ...] = ("elasticsearch", "opensearch")


def load_corpus() -> list[Resource]:
    data = json.loads(CORPUS.read_text(encoding="utf-8"))
    return [Resource.model_validate(item) for item in data["resources"]]


@pytest.fixture(scope="session")
def corpus() -> list[Resource]:
    return load_corpus()


@functools.cache
def engine_urls() -> dict[str, str]:
    """The test clusters by engine: each of GKSS_TEST_SEARCH_URL and GKSS_TEST_OPENSEARCH_URL
    counts as the engine its ``GET /`` names."""
    found: dict[str, str] = {}
    for variable in (SEARCH_ENV, OPENSEARCH_ENV):
        url = os.environ.get(variable)
        if url:
            found.setdefault(detect_engine(url, ClusterConnection()), url)
    return found


def cluster_url(engine: Engine | None = None) -> str:
    """The test cluster of ``engine`` (None: GKSS_TEST_SEARCH_URL), or skip the test saying how to get one."""
    if engine is None:
        url = os.environ.get(SEARCH_ENV)
        if not url:
            pytest.skip(f"{SEARCH_ENV} is not set (start a cluster: URL=$(deploy/local/elasticsearch up))")
        return url
    url = engine_urls().get(engine)
    if not url:
        pytest.skip(
            f"no {engine} test cluster: set {SEARCH_ENV} or {OPENSEARCH_ENV} to one "
            f"(URL=$(deploy/local/{engine} up))"
        )
    return url


def open_cluster_index(engine: Engine, name: str, **options: Any) -> ClusterIndex:
    """A cluster index of ``engine`` under alias ``name`` on that engine's test cluster."""
    return index_class(engine)(cluster_url(engine), name, **options)


def open_backend(backend: Backend, directory: Path) -> SearchIndex:
    """A new, empty index of the backend (the cluster one under a unique alias: drop it after)."""
    if backend.name == "tantivy":
        return TantivyIndex(directory / f"index-{uuid.uuid4().hex[:8]}")
    engine: Engine = "opensearch" if backend.name == "opensearch" else "elasticsearch"
    name = f"gkss-test-{uuid.uuid4().hex[:12]}"
    return open_cluster_index(engine, name, max_result_window=CLUSTER_WINDOW, retire_after=0)


def dispose(index: SearchIndex) -> None:
    drop = getattr(index, "drop", None)
    if drop is not None:
        drop()
    index.close()


@pytest.fixture(scope="session", params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    return BACKENDS[str(request.param)]


def _session_index(
    backend: Backend, corpus: list[Resource], factory: pytest.TempPathFactory
) -> Iterator[SearchIndex]:
    shared = open_backend(backend, factory.mktemp("contract"))
    try:
        assert shared.add(corpus) == len(corpus)
        shared.refresh()
        yield shared
    finally:
        dispose(shared)


@pytest.fixture(scope="session")
def _shared(
    backend: Backend, corpus: list[Resource], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchIndex]:
    yield from _session_index(backend, corpus, tmp_path_factory)


@pytest.fixture(scope="session")
def _read_only(
    backend: Backend, corpus: list[Resource], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SearchIndex]:
    yield from _session_index(backend, corpus, tmp_path_factory)


@pytest.fixture
def index(_shared: SearchIndex) -> SearchIndex:
    """The backend's index, shared by the session: it holds the corpus, or what the previous test
    left (tests that write re-add the corpus first; ``empty_index`` gives a fresh one)."""
    return _shared


@pytest.fixture
def empty_index(backend: Backend, tmp_path: Path) -> Iterator[SearchIndex]:
    """A fresh, empty index of the backend, deleted afterwards."""
    fresh = open_backend(backend, tmp_path)
    try:
        yield fresh
    finally:
        dispose(fresh)


@pytest.fixture
def loaded(_read_only: SearchIndex) -> SearchIndex:
    """An index holding exactly the corpus, shared by the session: tests using it must not write."""
    return _read_only


@pytest.fixture
def ix(index: SearchIndex, corpus: list[Resource]) -> SearchIndex:
    """The backend's ``index`` holding the whole corpus, refreshed (tests using it may write)."""
    index.add(corpus)
    index.refresh()
    return index
