"""sickle harvests the provider over real HTTP: every set, every format, tokens, deletions, windows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from hub.oai.serializers import read_gkss
from tests.hub.oai.support import GKSS, OAI, PAGE_SIZE, Stored, all_sets, check_oai

Header = tuple[str, bool, str, frozenset[str]]


class Client:
    """sickle over HTTP; every response it receives is schema-checked first (a requests hook)."""

    def __init__(self, url: str, method: str = "GET") -> None:
        self.responses = 0
        self.sickle = Sickle(
            url, http_method=method, max_retries=0, timeout=30, hooks={"response": self._check}
        )

    def _check(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        assert response.status_code == 200, response.status_code
        check_oai(response.content, response.headers.get("Content-Type"))
        self.responses += 1


def _header(header: Any) -> Header:
    return (str(header.identifier), bool(header.deleted), str(header.datestamp), frozenset(header.setSpecs))


def _expected(stored: list[Stored], spec: str | None = None) -> list[Header]:
    return [(r.identifier, r.deleted, r.datestamp, frozenset(r.sets)) for r in stored if r.in_set(spec)]


def _harvest(client: Client, verb: str, **args: str) -> Iterator[Any]:
    try:
        yield from getattr(client.sickle, verb)(ignore_deleted=False, **args)
    except NoRecordsMatch:
        return


def test_identify_and_list_sets_through_sickle(live_url: str, stored: list[Stored]) -> None:
    client = Client(live_url)
    identify = client.sickle.Identify()
    assert identify.baseURL == live_url
    assert identify.earliestDatestamp == stored[0].datestamp
    assert identify.deletedRecord == "persistent"
    assert sorted(s.setSpec for s in client.sickle.ListSets()) == sorted(all_sets(stored))
    formats = {f.metadataPrefix: f.metadataNamespace for f in client.sickle.ListMetadataFormats()}
    assert formats == {
        "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
        "gkss": "https://gkss-hub.cbd.int/ns/resource/1.0",
    }


@pytest.mark.parametrize("prefix", ["oai_dc", "gkss"])
def test_every_set_in_every_format_harvests_exactly_the_stored_records(
    live_url: str, stored: list[Stored], prefix: str
) -> None:
    client = Client(live_url)
    by_id = {r.identifier: r for r in stored}
    specs: list[str | None] = [None, *sorted(all_sets(stored))]
    assert {"source:repo", "source:tagged", "country:KE", "target:GBF-TARGET-03"} <= set(specs)
    for spec in specs:
        args = {"metadataPrefix": prefix, **({"set": spec} if spec else {})}
        records = list(_harvest(client, "ListRecords", **args))
        assert [_header(r.header) for r in records] == _expected(stored, spec), spec
        for record in records:
            stored_record = by_id[record.header.identifier]
            assert record.deleted == stored_record.deleted
            if stored_record.resource is None:
                assert record.xml.find(OAI + "metadata") is None
            elif prefix == "oai_dc":
                assert record.metadata["title"] == [t.strip() for t in stored_record.resource.title.values()]
            else:
                element = record.xml.find(f"{OAI}metadata/{GKSS}resource")
                assert read_gkss(element) == stored_record.resource
        headers = [_header(h) for h in _harvest(client, "ListIdentifiers", **args)]
        assert headers == _expected(stored, spec), spec
    assert client.responses > 2 * len(specs), "lists longer than a page went through tokens"
    assert len(stored) > 3 * PAGE_SIZE


def test_deleted_records_come_as_deleted_headers(live_url: str, stored: list[Stored]) -> None:
    gone = [r for r in stored if r.deleted]
    assert len(gone) == 6, "3 deleted at the source before the first harvest, 3 deleted afterwards"
    client = Client(live_url)
    harvested = [_header(r.header) for r in _harvest(client, "ListRecords", metadataPrefix="oai_dc")]
    assert [h for h in harvested if h[1]] == [
        (r.identifier, True, r.datestamp, frozenset(r.sets)) for r in gone
    ]
    only_source = [h for h in harvested if h[1] and len(h[3]) == 1]
    assert len(only_source) == 3, "the 3 never seen live are only in their source set"
    for identifier, _, _, specs in harvested:
        if identifier in {r.identifier for r in gone if r.last is not None}:
            assert any(spec.startswith("type:") for spec in specs), "the others keep their type set"


def test_post_harvest_equals_get_harvest(live_url: str, stored: list[Stored]) -> None:
    got = [_header(r.header) for r in _harvest(Client(live_url), "ListRecords", metadataPrefix="gkss")]
    posted = [
        _header(r.header) for r in _harvest(Client(live_url, "POST"), "ListRecords", metadataPrefix="gkss")
    ]
    assert got == posted == _expected(stored)


def test_from_until_windows_return_exactly_the_records_changed_inside(
    live_url: str, stored: list[Stored]
) -> None:
    client = Client(live_url)
    stamps = sorted({r.datestamp for r in stored})
    assert len(stamps) >= 3, "the corpus was stored in three seconds"

    def window(**args: str) -> list[str]:
        return [h.identifier for h in _harvest(client, "ListIdentifiers", metadataPrefix="oai_dc", **args)]

    for stamp in stamps:
        assert window(**{"from": stamp, "until": stamp}) == [
            r.identifier for r in stored if r.datestamp == stamp
        ]
        assert window(**{"from": stamp}) == [r.identifier for r in stored if r.datestamp >= stamp]
        assert window(until=stamp) == [r.identifier for r in stored if r.datestamp <= stamp]
    days = sorted({r.changed_at.date() for r in stored})
    for day in days:
        text = day.isoformat()
        assert window(**{"from": text, "until": text}) == [
            r.identifier for r in stored if r.changed_at.date() == day
        ]
    assert window(until=(days[0] - timedelta(days=1)).isoformat()) == []
    assert window(**{"from": (days[-1] + timedelta(days=1)).isoformat()}) == []
    last = stored[-1].changed_at
    assert window(**{"from": (last + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")}) == []


def test_sickle_reads_the_same_xml_it_was_sent(live_url: str, stored: list[Stored]) -> None:
    live = next(r for r in stored if r.resource is not None and r.source == "tagged")
    record = Client(live_url).sickle.GetRecord(identifier=live.identifier, metadataPrefix="gkss")
    assert etree.QName(record.xml).localname == "record"
    assert read_gkss(record.xml.find(f"{OAI}metadata/{GKSS}resource")) == live.resource
