"""What the OAI-PMH harvester tests share: the records the fixtures hold (read independently), the
replay server and a harvester built on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from lxml import etree

from harvesters.http import HttpPolicy
from harvesters.oaipmh import OaiPmhHarvester
from harvesters.records import RawRecord, RecordFailure
from harvesters.registry import typed_source
from tests.support.oai_replay import (
    RECORD_FILES,
    OaiReplayServer,
    fixture_bytes,
    load_real_records,
)

OAI = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
PAGE = 7


@dataclass(frozen=True)
class Expected:
    """A record as the fixture files hold it, read with lxml independently of the code under test."""

    identifier: str
    datestamp: datetime
    deleted: bool
    sets: tuple[str, ...]
    titles: tuple[str, ...]


def _stamp(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def fixture_records() -> list[Expected]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    out: dict[str, Expected] = {}
    for name in RECORD_FILES:
        root = etree.fromstring(fixture_bytes(name), parser=parser)
        for record in root.iter(f"{OAI}record"):
            identifier = record.findtext(f"{OAI}header/{OAI}identifier")
            if not identifier or identifier in out:
                continue
            header = record.find(f"{OAI}header")
            assert header is not None
            out[identifier] = Expected(
                identifier=identifier,
                datestamp=_stamp(header.findtext(f"{OAI}datestamp") or ""),
                deleted=header.get("status") == "deleted",
                sets=tuple(s.text or "" for s in header.findall(f"{OAI}setSpec")),
                titles=tuple(t.text or "" for t in record.iter(f"{DC}title")),
            )
    return list(out.values())


class Sleeps:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def policy(
    sleep: Sleeps | None = None,
    *,
    max_retries: int = 2,
    max_retry_after: float = 120.0,
    max_bytes: int = 50 * 1024 * 1024,
) -> HttpPolicy:
    return HttpPolicy(
        connect_timeout=2,
        read_timeout=5,
        total_timeout=10,
        max_retries=max_retries,
        max_retry_after=max_retry_after,
        max_bytes=max_bytes,
        sleep=sleep or Sleeps(),
    )


def harvester(server: OaiReplayServer, http: HttpPolicy | None = None, **options: object) -> OaiPmhHarvester:
    spec = typed_source(id="replay", protocol="oai-pmh", url=server.url, options=dict(options))
    return OaiPmhHarvester(spec, http or policy())


def records_of(items: list[RawRecord | RecordFailure]) -> list[RawRecord]:
    return [i for i in items if isinstance(i, RawRecord)]


@pytest.fixture(scope="module")
def expected() -> list[Expected]:
    found = fixture_records()
    assert len(found) >= 30  # the fixtures hold a few dozen distinct real records
    return found


@pytest.fixture
def server() -> Iterator[OaiReplayServer]:
    with OaiReplayServer(load_real_records(), page_size=PAGE) as replay:
        yield replay
