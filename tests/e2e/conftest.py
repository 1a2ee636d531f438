"""Fixtures for end-to-end tests: a Hub on a temporary GKSS_HOME with short HTTP limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.context import Hub, open_hub
from hub.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path / "gkss",
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
