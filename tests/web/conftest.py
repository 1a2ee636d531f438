"""Hubs for the web tests: real processes holding real harvested records, or the hostile payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from normalizers.vocabularies.countries import countries
from normalizers.vocabularies.regions import region_id
from tests.support.http_replay import ReplayServer
from tests.support.hubs import HubProcess
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, load_real_records

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "security" / "xss-payloads.txt"
DC = "http://purl.org/dc/elements/1.1/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"


REGIONAL_SOURCE = "centre"  # real_hub's second source: a regional centre's, placed in this region
REGIONAL_SOURCE_REGION = "eastern-africa"


def harvested_hub(
    home: Path, node: str, records: list[ReplayRecord], regional: list[ReplayRecord] | None = None
) -> HubProcess:
    """A hub process that harvested ``records`` as source ``repo``, and ``regional`` (when given) as
    source ``centre``, configured with ``regions=eastern-africa`` (its records naming no country get it)."""
    hub = HubProcess(home, node)
    with OaiReplayServer(records, page_size=50) as oai:
        hub.cli("sources", "add", "repo", "--protocol", "oai-pmh", "--url", oai.url)
        hub.cli("harvest", "repo")
    if regional:
        with OaiReplayServer(regional, page_size=50) as oai:
            place = ("--option", f"regions={REGIONAL_SOURCE_REGION}")
            hub.cli("sources", "add", REGIONAL_SOURCE, "--protocol", "oai-pmh", "--url", oai.url, *place)
            hub.cli("harvest", REGIONAL_SOURCE)
    return hub


def in_fixed_region(results: list[dict[str, Any]], region: str) -> list[dict[str, Any]]:
    """The results a search fixed to ``region`` must find, from the records' own countries and the
    regional source's configuration: those naming a country in the region, and the regional source's
    records naming no country (they carry the source's region)."""
    inside = {c.iso2 for c in countries().values() if region_id(region) in c.regions}
    assert region == REGIONAL_SOURCE_REGION, "real_hub's regional source is placed in this region only"
    return [
        r
        for r in results
        if set(r["countries"]) & inside or (r["source"] == REGIONAL_SOURCE and not r["countries"])
    ]


def payload_lines() -> list[str]:
    """The XSS strings of the OAI-PMH fuzzer's list that XML can carry."""
    out = []
    for line in PAYLOADS.read_text(encoding="utf-8", errors="replace").splitlines():
        text = line.strip()
        try:
            etree.Element("x").text = text
        except ValueError:
            continue
        if text:
            out.append(text)
    return out


def hostile_records() -> list[ReplayRecord]:
    """One oai_dc record per two payloads: title, description, creator, subject and identifier carry them."""
    lines = payload_lines()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    records = []
    for n in range(0, len(lines) - 1, 2):
        root = etree.Element(f"{{{OAI_DC}}}dc", nsmap={"oai_dc": OAI_DC, "dc": DC})
        for name, value in (
            ("title", lines[n]),
            ("description", lines[n + 1]),
            ("creator", lines[n]),
            ("subject", lines[n + 1]),
            (
                "identifier",
                lines[n] if lines[n].lower().startswith("javascript") else f"https://x.example/{n}",
            ),
            ("date", "2025-01-01"),
        ):
            etree.SubElement(root, f"{{{DC}}}{name}").text = value
        records.append(
            ReplayRecord(f"oai:hostile:{n}", start + timedelta(seconds=n), metadata=etree.tostring(root))
        )
    return records


@pytest.fixture(scope="package")
def real_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    live = [r for r in load_real_records() if r.identifier and not r.deleted and r.metadata]
    with harvested_hub(tmp_path_factory.mktemp("web-real"), "web-real", live[:-3], live[-3:]) as hub:
        yield hub.serve()


@pytest.fixture(scope="package")
def hostile_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    with harvested_hub(tmp_path_factory.mktemp("web-hostile"), "web-hostile", hostile_records()) as hub:
        yield hub.serve()


CBD_MEETINGS = Path(__file__).resolve().parents[1] / "fixtures" / "cbd" / "index_raw_docs_schema_meeting.json"


def cbd_meeting_docs() -> list[dict[str, Any]]:
    """The real CBD index documents of 15 meetings (COP-17, SBSTTA-28, ...)."""
    docs: list[dict[str, Any]] = json.loads(CBD_MEETINGS.read_text("utf-8"))
    return docs


@pytest.fixture(scope="package")
def cbd_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    """A hub that harvested the real CBD meetings from a replayed CBD index (source ``cbd-meetings``)
    and the real OAI-PMH records (source ``repo``)."""
    docs = cbd_meeting_docs()
    body = {
        "responseHeader": {"status": 0, "QTime": 1},
        "response": {"numFound": len(docs), "start": 0, "docs": docs},
    }
    live = [r for r in load_real_records() if r.identifier and not r.deleted and r.metadata]
    with ReplayServer() as index:
        index.route("/api/v2013/index/select", json.dumps(body), headers={"Content-Type": "application/json"})
        with harvested_hub(tmp_path_factory.mktemp("web-cbd"), "web-cbd", live) as hub:
            add = ("sources", "add", "cbd-meetings", "--protocol", "cbd-index", "--url", index.url)
            hub.cli(*add, "--option", "preset=meetings")
            hub.cli("harvest", "cbd-meetings")
            yield hub.serve()
