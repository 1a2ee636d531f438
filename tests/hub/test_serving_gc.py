"""The garbage collector of `gkss serve` (hub/api/serving_gc.py): what exists once the app has started
is frozen out of it and full collections are spaced; an app that does not only serve leaves it alone."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.api import create_app
from hub.api.serving_gc import FULL_AFTER
from hub.cli import app as cli
from hub.context import Hub, open_hub
from hub.settings import Settings


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    threshold = gc.get_threshold()
    hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None, api_rate=0))
    yield hub
    hub.close()
    gc.unfreeze()  # this test process goes on as it was
    gc.set_threshold(*threshold)


def test_a_serving_app_freezes_what_exists_and_spaces_full_collections(hub: Hub) -> None:
    young, middle, full = gc.get_threshold()
    assert gc.get_freeze_count() == 0 and full < FULL_AFTER
    with TestClient(create_app(hub.settings, hub, serving=True)) as client:
        assert client.get("/livez").status_code == 200
        assert gc.get_freeze_count() > 1000  # the modules, the app and the open hub at least
        assert gc.get_threshold() == (young, middle, FULL_AFTER)


def test_an_app_that_does_not_only_serve_leaves_the_collector_alone(hub: Hub) -> None:
    threshold = gc.get_threshold()
    with TestClient(create_app(hub.settings, hub)) as client:
        assert client.get("/livez").status_code == 200
        assert gc.get_freeze_count() == 0 and gc.get_threshold() == threshold


def test_gkss_serve_serves_an_app_that_settles_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's app, as uvicorn would be given it (uvicorn itself not started here)."""
    threshold = gc.get_threshold()
    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_options: served.append(app))
    monkeypatch.setenv("GKSS_HOME", str(tmp_path))
    monkeypatch.delenv("GKSS_DATABASE_URL", raising=False)
    monkeypatch.delenv("GKSS_SEARCH_URL", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--port", "8999"])
    assert result.exit_code == 0, result.output
    try:
        assert len(served) == 1 and gc.get_freeze_count() == 0
        with TestClient(served[0]) as client:
            assert client.get("/livez").status_code == 200
            assert gc.get_freeze_count() > 1000
            assert gc.get_threshold()[2] == FULL_AFTER
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
