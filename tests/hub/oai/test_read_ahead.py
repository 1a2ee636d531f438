"""Next-page read-ahead: a page made ahead is the page the request would get, and never a stale one."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from harvesters.records import RawRecord
from hub.context import Hub, open_hub
from hub.oai.provider import OaiProvider
from hub.oai.read_ahead import PageReadAhead
from hub.pipeline import harvest_source
from hub.settings import Settings
from hub.store.store import NormalisedItem
from normalizers.resource import resource_id
from tests.hub.oai.support import PAGE_SIZE, oai_identifier
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records

OAI = "{http://www.openarchives.org/OAI/2.0/}"
BASE, HUB = "http://hub.test/oai", "http://hub.test/"
_RESPONSE_DATE = re.compile(rb"<responseDate>[^<]*</responseDate>")


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    settings = Settings(home=tmp_path / "gkss", database_url=None, search_url=None, oai_page_size=PAGE_SIZE)
    hub = open_hub(settings)
    with OaiReplayServer(load_real_records(), page_size=PAGE_SIZE) as repo:
        hub.store.add_source("repo", "oai-pmh", repo.url, {})
        assert harvest_source(hub, "repo").status == "succeeded"
    yield hub
    hub.close()


def _ask(provider: OaiProvider, **args: str) -> etree._Element:
    return etree.fromstring(provider.respond(list(args.items()), BASE, HUB))


def _token(root: etree._Element) -> str:
    return root.findtext(f"{OAI}ListRecords/{OAI}resumptionToken") or ""


def _ids(root: etree._Element) -> list[str]:
    return [str(e.text) for e in root.iterfind(f"{OAI}ListRecords/{OAI}record/{OAI}header/{OAI}identifier")]


def _wait_made(provider: OaiProvider) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pages = list(provider.read_ahead._pages.values())
        if pages and all(future.done() for _, _, future in pages):
            return
        time.sleep(0.01)
    raise AssertionError("the next page was not made ahead")


def test_a_page_made_ahead_is_the_page_a_fresh_provider_answers(hub: Hub) -> None:
    provider, fresh = OaiProvider(hub), OaiProvider(hub)
    try:
        first = _ask(provider, verb="ListRecords", metadataPrefix="oai_dc")
        token = _token(first)
        assert token and len(_ids(first)) == PAGE_SIZE
        _wait_made(provider)
        ahead = provider.respond([("verb", "ListRecords"), ("resumptionToken", token)], BASE, HUB)
        again = fresh.respond([("resumptionToken", token), ("verb", "ListRecords")], BASE, HUB)
        assert _RESPONSE_DATE.sub(b"", ahead) == _RESPONSE_DATE.sub(b"", again)
        # the whole list through read-ahead: every live and deleted record once
        seen = _ids(first)
        root = etree.fromstring(ahead)
        while True:
            seen += _ids(root)
            if not _token(root):
                break
            root = _ask(provider, verb="ListRecords", resumptionToken=_token(root))
        live, deleted = live_and_deleted(load_real_records())
        assert sorted(seen) == sorted(oai_identifier(resource_id("repo", n)) for n in live | deleted)
    finally:
        provider.close()
        fresh.close()


def test_a_store_write_after_the_page_was_made_ahead_makes_it_stale(hub: Hub) -> None:
    provider, fresh = OaiProvider(hub), OaiProvider(hub)
    try:
        first = _ask(provider, verb="ListRecords", metadataPrefix="oai_dc")
        _wait_made(provider)
        second_ids = _ids(_ask(fresh, verb="ListRecords", resumptionToken=_token(first)))
        moved = second_ids[0]  # rewritten now: it must leave page 2 for the end of the list
        resource = hub.store.get_resource(moved.rsplit(":", 1)[1])
        assert resource is not None
        resource.title = {"en": "Retitled after page 1 was served"}
        raw = RawRecord("repo", resource.native_id, resource.provenance.content_type, b"<record/>")
        time.sleep(1.05)  # changed_at has seconds granularity in the list order
        run = hub.store.start_run("repo", False, None)
        assert hub.store.apply_batch("repo", run.id, [NormalisedItem(raw, resource)]).updated == 1
        second = _ask(provider, verb="ListRecords", resumptionToken=_token(first))
        assert moved not in _ids(second), "the page made before the write was not served"
        assert _ids(second) == second_ids[1:] + _ids(second)[PAGE_SIZE - 1 :]
    finally:
        provider.close()
        fresh.close()


def test_read_ahead_serves_once_and_drops_stale_failed_or_old_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    stamp = [1]
    ahead: PageReadAhead[str] = PageReadAhead(lambda: stamp[0])
    try:
        ahead.make_ahead("a", lambda: "page a")
        assert ahead.take("a") == "page a"
        assert ahead.take("a") is None, "served once"
        ahead.make_ahead("b", lambda: "page b")
        stamp[0] = 2
        assert ahead.take("b") is None, "the store changed since"

        def broken() -> str:
            raise RuntimeError("render failed")

        ahead.make_ahead("c", broken)
        assert ahead.take("c") is None
        ahead.make_ahead("d", lambda: "page d")
        monkeypatch.setattr("hub.oai.read_ahead.MAX_AGE", -1.0)
        assert ahead.take("d") is None, "too old"
        assert ahead.take("never made") is None
    finally:
        ahead.close()
