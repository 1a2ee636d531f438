"""Fixtures of the OAI provider tests: one harvested corpus per database kind, a client, a live server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.context import Hub, open_hub
from hub.settings import Settings
from tests.hub.oai.support import PAGE_SIZE, LiveServer, Oai, Stored, build_corpus, stored_records
from tests.support.databases import database_kinds, fresh_database


@pytest.fixture(scope="session", params=database_kinds())
def oai_settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    tmp = tmp_path_factory.mktemp(f"oai-{request.param}")
    with fresh_database(request.param, tmp) as url:
        yield Settings(
            home=tmp / "gkss",
            database_url=url,
            oai_page_size=PAGE_SIZE,
            http_timeout=5,
            http_total_timeout=20,
            http_max_retries=1,
            max_retry_after=0.05,
        )


@pytest.fixture(scope="session")
def oai_hub(oai_settings: Settings) -> Iterator[Hub]:
    """A hub whose store holds the harvested corpus (real records, recombined ones, tombstones)."""
    hub = open_hub(oai_settings)
    build_corpus(hub)
    yield hub
    hub.close()


@pytest.fixture(scope="session")
def stored(oai_hub: Hub) -> list[Stored]:
    records = stored_records(oai_hub)
    assert len(records) > 3 * PAGE_SIZE, "the corpus must span several pages"
    return records


@pytest.fixture(scope="session")
def client(oai_settings: Settings, oai_hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(oai_settings, oai_hub)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_url(oai_settings: Settings, oai_hub: Hub) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:PORT/oai``) of the provider served by uvicorn."""
    with LiveServer(create_app(oai_settings, oai_hub)) as server:
        yield f"{server.url}/oai"


@pytest.fixture(scope="session")
def oai(client: TestClient) -> Oai:
    return Oai(client)
