"""Fixtures for end-to-end tests: a Hub on a temporary GKSS_HOME with short HTTP limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.context import Hub, open_hub
from hub.settings import Settings
from tests.support.databases import database_kinds, fresh_database


@pytest.fixture(params=database_kinds())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        home=tmp_path / "gkss",
        database_url=database_url,
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
    opened.close()
