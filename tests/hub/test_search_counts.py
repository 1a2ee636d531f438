"""The ``counts`` parameter of /api/search and what the search frame shows: exact by default, estimated
on a cluster when asked and a search matches more than the bound (the bound lowered here), never a 5xx.

The cluster tests run on every engine with a test cluster (GKSS_TEST_SEARCH_URL,
GKSS_TEST_OPENSEARCH_URL) and skip, saying so, on the others.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hub.api import create_app
from hub.cluster_connection import Engine
from hub.context import Hub, open_hub
from hub.search.cluster import ClusterIndex
from hub.settings import Settings
from tests.contract.conftest import CLUSTER_ENGINES, load_corpus, open_cluster_index
from tests.hub.test_cluster_estimate import BOUND, DOCS, PERCENT, WORD, in_sample, make_corpus, matching


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Hub]:
    hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None, api_rate=0))
    hub.index.add(load_corpus())
    yield hub
    hub.close()


@pytest.mark.parametrize("value", ["bogus", "ESTIMATE", "", "exact,estimate", "x" * 30])
def test_a_counts_value_outside_the_set_is_a_400(embedded: Hub, value: str) -> None:
    with TestClient(create_app(embedded.settings, embedded)) as client:
        answer = client.get("/api/search", params={"q": "biodiversity", "counts": value})
    assert answer.status_code in (400, 422), answer.text  # 422: longer than the parameter allows
    assert answer.status_code == 422 or "counts must be" in answer.json()["detail"]


def test_the_embedded_engine_answers_exact_counts_when_asked_to_estimate(embedded: Hub) -> None:
    with TestClient(create_app(embedded.settings, embedded)) as client:
        exact = client.get("/api/search", params={"q": "biodiversity"}).json()
        asked = client.get("/api/search", params={"q": "biodiversity", "counts": "estimate"}).json()
    assert exact["counts"] == asked["counts"] == "exact"
    assert exact["total"] > 0
    assert (asked["total"], asked["results"], asked["facets"]) == (
        exact["total"],
        exact["results"],
        exact["facets"],
    )


@pytest.fixture(params=CLUSTER_ENGINES)
def on_cluster(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hub]:
    """A hub serving a cluster index (bound lowered) that holds the estimate tests' corpus."""
    engine: Engine = request.param
    index: ClusterIndex = open_cluster_index(
        engine,
        f"gkss-est-{uuid.uuid4().hex[:12]}",
        retire_after=0,
        estimate_above=BOUND,
        sample_percent=PERCENT,
    )
    hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None, api_rate=0))
    hub.index_opened = index
    try:
        index.add(make_corpus())
        index.refresh()
        yield hub
    finally:
        index.drop()
        hub.close()


def test_the_api_and_the_frame_say_when_counts_are_estimated(on_cluster: Hub) -> None:
    true = matching(make_corpus(), WORD)
    estimate = round(sum(1 for r in true if in_sample(r)) * 100 / PERCENT)
    with TestClient(create_app(on_cluster.settings, on_cluster)) as client:
        exact = client.get("/api/search", params={"q": WORD}).json()
        asked = client.get("/api/search", params={"q": WORD, "counts": "estimate"}).json()
        everything = client.get("/api/search", params={"counts": "estimate"}).json()
        frame = client.get("/embed/frame", params={"q": WORD}).text
    assert (exact["counts"], exact["total"]) == ("exact", len(true))
    assert (asked["counts"], asked["total"]) == ("estimated", estimate)
    assert [r["id"] for r in asked["results"]] == [r["id"] for r in exact["results"]]
    assert (everything["counts"], everything["total"]) == ("exact", DOCS)  # no words: counted exactly
    assert f"About {estimate:,} results" in frame
    assert '<span class="count">~' in frame


def test_gkss_search_takes_counts_as_the_api_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`gkss search --counts`: estimate is answered (exactly, on the embedded engine), and a value
    outside the set exits 2 with the API's message."""
    import json

    from typer.testing import CliRunner

    from hub.cli import app

    monkeypatch.setenv("GKSS_HOME", str(tmp_path))
    for name in ("GKSS_DATABASE_URL", "GKSS_SEARCH_URL", "GKSS_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    asked = runner.invoke(app, ["search", "biodiversity", "--counts", "estimate", "--json"])
    assert asked.exit_code == 0, asked.output
    assert json.loads(asked.stdout)["counts"] == "exact"
    wrong = runner.invoke(app, ["search", "biodiversity", "--counts", "roughly"])
    assert wrong.exit_code == 2
    assert "counts must be 'exact' or 'estimate'" in wrong.stderr
