"""Helpers of the OAI provider tests: schema validation of every response, servers, the stored corpus."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from types import TracebackType

import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select

from hub.context import Hub
from hub.pipeline import harvest_source
from hub.store.models import RecordRow
from normalizers.resource import Resource
from tests.support.oai_replay import OaiReplayServer, ReplayRecord, load_real_records

ROOT = Path(__file__).resolve().parents[3]
XSD = ROOT / "tests" / "fixtures" / "oai-xsd"
GKSS_XSD = ROOT / "hub" / "oai" / "gkss-resource-1.0.xsd"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI = "{" + OAI_NS + "}"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC = "{" + OAI_DC_NS + "}"
DC = "{http://purl.org/dc/elements/1.1/}"
GKSS_NS = "https://gkss-hub.cbd.int/ns/resource/1.0"
GKSS = "{" + GKSS_NS + "}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
REPOSITORY_ID = "gkss-hub.cbd.int"
PAGE_SIZE = 7
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _schema(imports: dict[str, Path]) -> etree.XMLSchema:
    lines = [
        f'<xs:import namespace="{ns}" schemaLocation="{path.as_uri()}"/>' for ns, path in imports.items()
    ]
    wrapper = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:gkss-test:oai">'
        + "".join(lines)
        + "</xs:schema>"
    )
    return etree.XMLSchema(etree.fromstring(wrapper, etree.XMLParser(no_network=True)))


@cache
def oai_schema() -> etree.XMLSchema:
    """OAI-PMH.xsd (strict: metadata and descriptions must validate too) with every schema it meets."""
    return _schema(
        {
            OAI_NS: XSD / "OAI-PMH.xsd",
            OAI_DC_NS: XSD / "oai_dc.xsd",
            "http://www.openarchives.org/OAI/2.0/oai-identifier": XSD / "oai-identifier.xsd",
            GKSS_NS: GKSS_XSD,
        }
    )


@cache
def oai_dc_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD / "oai_dc.xsd"), etree.XMLParser(no_network=True)))


def check_oai(body: bytes, content_type: str | None) -> etree._Element:
    """Parse one provider response and assert it is valid OAI-PMH (XSD) served as text/xml UTF-8;
    every oai_dc:dc in it is also validated on its own against oai_dc.xsd. Returns the root."""
    assert content_type == "text/xml; charset=utf-8", content_type
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>"), body[:80]
    root = etree.fromstring(body, _PARSER)
    schema = oai_schema()
    assert schema.validate(root), f"{schema.error_log}\n{body[:2000]!r}"
    dc_schema = oai_dc_schema()
    for dc in root.iter(OAI_DC + "dc"):
        assert dc_schema.validate(etree.ElementTree(dc)), str(dc_schema.error_log)
    return root


class Oai:
    """Requests to /oai through a TestClient; every response is schema-checked (``check_oai``) first."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def get(self, query: str) -> etree._Element:
        response = self.client.get(f"/oai?{query}")
        assert response.status_code == 200
        return check_oai(response.content, response.headers.get("content-type"))

    def post(self, form: str) -> etree._Element:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        response = self.client.post("/oai", content=form, headers=headers)
        assert response.status_code == 200
        return check_oai(response.content, response.headers.get("content-type"))


def error_codes(root: etree._Element) -> list[str]:
    return [str(e.get("code")) for e in root.findall(OAI + "error")]


def oai_identifier(record_id: str) -> str:
    return f"oai:{REPOSITORY_ID}:{record_id}"


class LiveServer:
    """A real uvicorn server for ``app`` on 127.0.0.1 (an ephemeral port) in a thread."""

    def __init__(self, app: FastAPI) -> None:
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on such sockets (else ~40 ms per reply)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="oai-uvicorn", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            assert self._thread.is_alive(), "uvicorn stopped while starting"
            time.sleep(0.02)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._socket.close()


# -- the corpus: real records harvested into a store ----------------------------------------------

COVERAGE = ("Kenya", "Brazil", "Kenya; France", None)
TARGET_SUBJECTS = ("GBF Target 3", "KMGBF target 19", None)


def tagged_records(records: list[ReplayRecord], n: int = 12) -> list[ReplayRecord]:
    """Real records recombined so that country and target sets are not empty: the first ``n`` live
    records with their metadata unchanged but for an added dc:coverage (a country name) and dc:subject
    (a GBF target named as sources do), under the identifier ``<original>:tagged``."""
    live = [r for r in records if r.identifier and not r.deleted and r.metadata][:n]
    out: list[ReplayRecord] = []
    for k, record in enumerate(live):
        assert record.metadata is not None
        root = etree.fromstring(record.metadata, _PARSER)
        assert root.tag == OAI_DC + "dc", root.tag
        coverage, subject = COVERAGE[k % len(COVERAGE)], TARGET_SUBJECTS[k % len(TARGET_SUBJECTS)]
        if coverage:
            etree.SubElement(root, DC + "coverage").text = coverage
        if subject:
            etree.SubElement(root, DC + "subject").text = subject
        identifier = f"{record.identifier}:tagged"
        out.append(
            ReplayRecord(identifier=identifier, datestamp=record.datestamp, metadata=etree.tostring(root))
        )
    return out


def _next_second() -> None:
    """Sleep into the next wall-clock second, so that the phases of the corpus get distinct datestamps."""
    now = time.time()
    time.sleep(1.02 - (now - int(now)))


def build_corpus(hub: Hub) -> None:
    """Three phases, each in its own second: harvest the real records (source ``repo``, its own 3
    tombstones included), harvest the recombined ones (``tagged``), then delete 2 + 1 of them at
    their sources and harvest again (tombstones)."""
    real = load_real_records()
    tagged = tagged_records(real)
    with OaiReplayServer(real, page_size=7) as repo, OaiReplayServer(tagged, page_size=5) as tags:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        hub.store.add_source("tagged", "oai-pmh", tags.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
        _next_second()
        assert harvest_source(hub, "tagged").status == "succeeded"
        _next_second()
        stamp = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        live = sorted(r.identifier for r in real if r.identifier and not r.deleted and r.metadata)
        for identifier in (live[-1], live[-2]):
            repo.delete_record(identifier, stamp)
        tags.delete_record(str(tagged[1].identifier), stamp)
        assert harvest_source(hub, "repo").deleted == 2
        assert harvest_source(hub, "tagged").deleted == 1


# -- expectations, computed from the store with the rules of the provider's documentation -----------


@dataclass(frozen=True, slots=True)
class Stored:
    """A record as the store holds it, with the OAI header it must get."""

    id: str
    source: str
    changed_at: datetime
    resource: Resource | None
    text: str | None
    last: Resource | None = None  # a tombstone's Resource when it was deleted

    @property
    def identifier(self) -> str:
        return oai_identifier(self.id)

    @property
    def deleted(self) -> bool:
        return self.resource is None

    @property
    def datestamp(self) -> str:
        return self.changed_at.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def sets(self) -> set[str]:
        """The leaf setSpecs: the source always; type, countries, targets of the Resource, or of the
        last one a tombstone had."""
        specs = {f"source:{self.source}"}
        known = self.resource or self.last
        if known is not None:
            specs.add(f"type:{known.type}")
            specs |= {f"country:{c}" for c in known.countries}
            specs |= {f"target:{t}" for t in known.gbf_targets}
        return specs

    def in_set(self, spec: str | None) -> bool:
        if spec is None:
            return True
        if ":" in spec:
            return spec in self.sets
        return any(s.startswith(spec + ":") for s in self.sets)


def stored_records(hub: Hub) -> list[Stored]:
    """Every record of the store in (changed_at, id) order."""
    with hub.store.session() as session:
        rows = session.execute(
            select(
                RecordRow.id,
                RecordRow.source_id,
                RecordRow.changed_at,
                RecordRow.resource,
                RecordRow.last_resource,
            )
        ).all()
    out = [
        Stored(
            id=row.id,
            source=row.source_id,
            changed_at=row.changed_at if row.changed_at.tzinfo else row.changed_at.replace(tzinfo=UTC),
            resource=None if row.resource is None else Resource.model_validate_json(row.resource),
            text=row.resource,
            last=None if row.last_resource is None else Resource.model_validate_json(row.last_resource),
        )
        for row in rows
    ]
    return sorted(out, key=lambda s: (s.changed_at, s.id))


def all_sets(records: list[Stored]) -> set[str]:
    """Every setSpec holding a record, the four parents included."""
    leaves = {spec for r in records for spec in r.sets}
    return leaves | {spec.split(":", 1)[0] for spec in leaves}
