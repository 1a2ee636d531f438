"""`gkss dedup`: the same CBD meetings harvested from the CBD index and from InforMEA are reported as one.

Both sources are served over local HTTP from the fixtures (the raw meeting documents, and the
InforMEA Meeting entities built from them); the expected clusters are the documents' ids.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli_home import cli_home, gkss  # noqa: F401 (cli_home: a fixture)
from tests.support.http_replay import ReplayServer

pytestmark = pytest.mark.usefixtures("cli_home")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
JSON_TYPE = {"Content-Type": "application/json"}


def test_dedup_reports_each_meeting_once_with_both_provenances() -> None:
    docs = json.loads((FIXTURES / "cbd" / "index_raw_docs_schema_meeting.json").read_text("utf-8"))
    entities = json.loads((FIXTURES / "informea" / "meetings.json").read_text("utf-8"))
    select = {"response": {"numFound": len(docs), "start": 0, "docs": docs}}
    with ReplayServer() as server:
        server.route("/api/v2013/index/select", json.dumps(select).encode(), headers=JSON_TYPE)
        server.route(
            "/informea.svc/Meetings", json.dumps({"d": {"results": entities}}).encode(), headers=JSON_TYPE
        )
        gkss(
            "sources",
            "add",
            "cbd-meetings",
            "--protocol",
            "cbd-index",
            "--url",
            server.url,
            "--preset",
            "meetings",
        )
        informea = server.url + "/informea.svc"
        add = ("sources", "add", "informea-meetings", "--protocol", "odata", "--url", informea)
        gkss(*add, "--option", "entity_set=Meetings")
        gkss("harvest", "--all")
    report = json.loads(gkss("dedup", "--json"))
    assert report["records"] == len(docs) + len(entities)
    assert len(report["clusters"]) == len(docs)
    for cluster in report["clusters"]:
        merged = cluster["merged"]
        assert merged["source"] == "cbd-meetings"
        assert [p["source"] for p in merged["merged_provenance"]] == ["informea-meetings"]
        assert merged["merged_provenance"][0]["native_id"] == merged["native_id"]  # the same document id
        assert cluster["matches"][0]["rule"].startswith("url:cbd-meeting:")
