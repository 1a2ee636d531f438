"""Fixtures for end-to-end tests: a Hub on a temporary GKSS_HOME with short HTTP limits.

Each scenario runs on the embedded default (SQLite store and index), on PostgreSQL, and with the
SQLite store indexing into each cluster engine that has a test cluster (Elasticsearch, OpenSearch).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.context import Hub, open_hub
from hub.settings import Settings
from tests.contract.conftest import CLUSTER_ENGINES, OPENSEARCH_ENV, SEARCH_ENV, engine_urls
from tests.support.databases import database_kinds, fresh_database


def _cluster_kinds() -> list[object]:
    """``sqlite+<engine>`` per cluster engine, skipped with the reason when it has no test cluster."""
    try:
        found = engine_urls()
    except Exception as error:  # a test cluster URL that does not answer: say so in the skip
        found, problem = {}, f" ({error})"
    else:
        problem = ""
    return [
        pytest.param(
            f"sqlite+{engine}",
            marks=pytest.mark.skipif(
                engine not in found,
                reason=f"no {engine} test cluster in {SEARCH_ENV}/{OPENSEARCH_ENV}{problem}",
            ),
        )
        for engine in CLUSTER_ENGINES
    ]


@pytest.fixture(params=[*database_kinds(), *_cluster_kinds()])
def backends(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(store URL, search URL or None for the embedded index)."""
    kind, _, engine = str(request.param).partition("+")
    with fresh_database(kind, tmp_path) as url:
        yield url, engine_urls()[engine] if engine else None


@pytest.fixture
def database_url(backends: tuple[str, str | None]) -> str:
    return backends[0]


@pytest.fixture
def settings(tmp_path: Path, backends: tuple[str, str | None]) -> Settings:
    database_url, search_url = backends
    return Settings(
        home=tmp_path / "gkss",
        database_url=database_url,
        search_url=search_url,
        search_index=f"e2e-{uuid.uuid4().hex[:12]}",
        http_timeout=5,
        http_total_timeout=20,
        max_response_bytes=5 * 1024 * 1024,
        http_max_retries=1,
        max_retry_after=0.05,
        batch_size=7,
    )


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    opened = open_hub(settings)
    yield opened
    drop = getattr(opened.index, "drop", None)  # a cluster index: delete this test's indices
    if drop is not None:
        drop()
    opened.close()
