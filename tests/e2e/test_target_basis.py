"""Stated and inferred GBF targets end to end: real CBD meeting documents harvested from a replay
server on 127.0.0.1 into the embedded engine, then searched with ``target`` and ``target_basis``.

The documents are the raw CBD index meeting dump (tests/fixtures/cbd, PROVENANCE.tsv). Expectations
come from the documents: the stated targets are their ``themes_REL_ss``; the records expected to be
inferred as Target 13 are those stating no target whose English title speaks of the "fair and
equitable sharing of benefits" (Target 13's own wording in the GBF thesaurus).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hub.api import create_app
from hub.cli import app
from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.settings import Settings
from normalizers.target_model import THRESHOLD
from tests.support.http_replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cbd"
SELECT = "/api/v2013/index/select"
T13 = "GBF-TARGET-13"


def meeting_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = json.loads(
        (FIXTURES / "index_raw_docs_schema_meeting.json").read_text("utf-8")
    )
    return sorted(docs, key=lambda d: (d["updatedDate_dt"], d["id"]))


def stated(doc: dict[str, Any]) -> set[str]:
    return {v for v in doc.get("themes_REL_ss", []) if v.startswith("GBF-TARGET-")}


def select_page(docs: list[dict[str, Any]]) -> bytes:
    body = {
        "responseHeader": {"status": 0, "QTime": 3, "params": {"q": "schema_s:meeting", "wt": "json"}},
        "response": {"numFound": len(docs), "start": 0, "docs": docs},
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


HOME: dict[str, Path] = {}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    HOME["home"] = tmp_path_factory.mktemp("basis")
    settings = Settings(home=HOME["home"], database_url=None, search_url=None, api_rate=0)
    hub: Hub = open_hub(settings)
    with ReplayServer() as server:
        server.route(SELECT, select_page(meeting_docs()), headers={"Content-Type": "application/json"})
        hub.store.add_source("cbd-meetings", "cbd-index", server.url, {"preset": "meetings"})
        assert harvest_source(hub, "cbd-meetings").status == "succeeded"
    with TestClient(create_app(hub.settings, hub)) as test_client:
        yield test_client
    hub.close()


def search(client: TestClient, **params: str) -> list[dict[str, Any]]:
    answer = client.get("/api/search", params={"target": "13", "size": "100", **params})
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def urls(results: list[dict[str, Any]]) -> set[str]:
    return {r["url"] for r in results}


def test_target_basis_tells_stated_from_inferred_targets(client: TestClient) -> None:
    docs = meeting_docs()
    stating = {d["url_ss"][0] for d in docs if T13 in stated(d)}
    about_benefit_sharing = {
        d["url_ss"][0]
        for d in docs
        if not stated(d) and "fair and equitable sharing of benefits" in d["title_EN_t"].casefold()
    }
    assert stating and len(about_benefit_sharing) >= 2  # the data has both kinds

    by_default = search(client)
    assert urls(by_default) == stating == urls(search(client, target_basis="stated"))
    for result in by_default:
        assert T13 in result["gbf_targets"]

    inferred = search(client, target_basis="inferred")
    assert about_benefit_sharing <= urls(inferred)
    assert not urls(inferred) & stating
    for result in inferred:
        assert T13 not in result["gbf_targets"]  # inferred, not stated
        assert result["gbf_targets_inferred"][T13] >= THRESHOLD

    assert urls(search(client, target_basis="any")) == stating | urls(inferred)


def test_stated_targets_are_never_changed_by_inference(client: TestClient) -> None:
    for doc in meeting_docs():
        if not stated(doc):
            continue
        [result] = [r for r in search(client, target_basis="any") if r["url"] == doc["url_ss"][0]]
        assert set(result["gbf_targets"]) == stated(doc)
        assert result["gbf_targets_inferred"] == {}


@pytest.mark.parametrize("value", ["guessed", "", "STATED "])
def test_an_unknown_target_basis_is_a_400(client: TestClient, value: str) -> None:
    answer = client.get("/api/search", params={"target": "13", "target_basis": value})
    assert answer.status_code == 400 if value else answer.status_code == 200


def test_feeds_and_the_openapi_document_take_target_basis(client: TestClient) -> None:
    inferred = urls(search(client, target_basis="inferred"))
    feed = client.get("/feeds/json", params={"target": "13", "target_basis": "inferred"}).json()
    assert {item["url"] for item in feed["items"]} == inferred
    assert client.get("/feeds/atom", params={"target": "13", "target_basis": "guessed"}).status_code == 400
    parameters = client.get("/openapi.json").json()["paths"]["/api/search"]["get"]["parameters"]
    [documented] = [p for p in parameters if p["name"] == "target_basis"]
    assert all(word in documented["description"] for word in ("stated", "inferred", "any"))


def test_the_cli_takes_the_same_target_basis(client: TestClient) -> None:
    api = {basis: urls(search(client, target_basis=basis)) for basis in ("stated", "inferred")}
    for basis, expected in api.items():
        result = CliRunner().invoke(
            app,
            ["search", "--target", "13", "--target-basis", basis, "--size", "100", "--json"],
            env={"GKSS_HOME": str(HOME["home"])},
        )
        assert result.exit_code == 0, result.output
        assert {r["url"] for r in json.loads(result.stdout)["results"]} == expected
