"""Running `gkss` in-process against a fresh embedded hub under a temporary GKSS_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hub.cli import app


@pytest.fixture()
def cli_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh GKSS_HOME with the embedded store and index (service URLs unset), no retries."""
    monkeypatch.setenv("GKSS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GKSS_HTTP_MAX_RETRIES", "0")
    for name in ("GKSS_DATABASE_URL", "GKSS_SEARCH_URL", "GKSS_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def gkss(*args: str) -> str:
    """Run one `gkss` command; its output, after asserting it succeeded."""
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output
