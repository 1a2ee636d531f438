"""OAI-PMH end to end on the embedded default: replay server -> harvest -> store -> FTS5 search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.context import Hub, open_hub
from hub.pipeline import harvest_source
from hub.search.base import SearchQuery
from hub.settings import Settings
from normalizers.resource import resource_id
from tests.support.oai_replay import (
    OaiReplayServer,
    ReplayRecord,
    fixture_bytes,
    live_and_deleted,
    load_real_records,
)


def _all_ids(hub: Hub) -> set[str]:
    page = hub.index.search(SearchQuery(size=1000, facets=False))
    return {hit.id for hit in page.hits}


def _register(hub: Hub, url: str) -> None:
    hub.store.add_source("repo", "oai-pmh", url, {})


def test_full_harvest_stores_exactly_the_payload_records(hub: Hub) -> None:
    records = load_real_records()
    live, deleted = live_and_deleted(records)
    assert len(live) > 20 and deleted, "the fixtures must hold live and deleted records"
    with OaiReplayServer(records, page_size=7) as server:
        _register(hub, server.url)
        summary = harvest_source(hub, "repo")
    assert summary.status == "succeeded", summary.error
    assert summary.added == len(live)
    assert summary.deleted == len(deleted)
    assert hub.store.count_records("repo") == len(live)
    assert hub.store.count_records("repo", deleted=True) == len(deleted)
    assert _all_ids(hub) == {resource_id("repo", i) for i in live}
    for identifier in deleted:
        assert resource_id("repo", identifier) not in _all_ids(hub)


def test_second_harvest_fetches_only_the_new_window_and_deletions_leave_search(hub: Hub) -> None:
    records = load_real_records()
    live, _ = live_and_deleted(records)
    with OaiReplayServer(records, page_size=7) as server:
        _register(hub, server.url)
        first = harvest_source(hub, "repo")
        assert first.status == "succeeded"
        first_run = hub.store.list_runs("repo")[0]

        grown = [r for r in records if r.identifier in live][:3]
        now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        for n, template in enumerate(grown):
            server.add_record(
                ReplayRecord(identifier=f"oai:gkss-test:new-{n}", datestamp=now, metadata=template.metadata)
            )
        second = harvest_source(hub, "repo")
        assert second.status == "succeeded", second.error
        window = server.requests_for("ListRecords")[-1]
        started = first_run.started_at.replace(tzinfo=UTC)
        expected_from = (started - timedelta(seconds=hub.settings.oai_overlap_seconds)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        assert window.get("from") == expected_from
        assert (second.added, second.updated, second.deleted) == (3, 0, 0)
        assert second.unchanged == 0, "nothing older than the window may be fetched again"

        gone = sorted(live)[:2]
        for identifier in gone:
            server.delete_record(identifier, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2))
        third = harvest_source(hub, "repo")
    assert third.status == "succeeded", third.error
    assert third.deleted == 2
    ids = _all_ids(hub)
    for identifier in gone:
        assert resource_id("repo", identifier) not in ids
        assert hub.store.get_record(resource_id("repo", identifier)).deleted  # type: ignore[union-attr]
    assert len(ids) == len(live) + 3 - 2


@pytest.mark.parametrize("skew_minutes", [-60, 60], ids=["clock-behind", "clock-ahead"])
def test_the_next_window_follows_a_source_clock_behind_ours(hub: Hub, skew_minutes: int) -> None:
    """A repository whose clock runs an hour behind stamps its new records an hour behind ours: the next
    window starts at its own time (the responseDate of the last successful run's Identify), not ours.
    A clock ahead of ours is not followed (the window would start after records it has not yet given)."""
    records = load_real_records()
    live, _ = live_and_deleted(records)
    skew = timedelta(minutes=skew_minutes)
    with OaiReplayServer(records, page_size=7, clock_offset=skew) as server:
        _register(hub, server.url)
        assert harvest_source(hub, "repo").status == "succeeded"
        first_run = hub.store.list_runs("repo")[0]
        (told_text,) = [date for verb, date in server.response_dates if verb == "Identify"]
        told = datetime.strptime(told_text, "%Y-%m-%dT%H:%M:%SZ")
        grown = [r for r in records if r.identifier in live][:3]
        stamp = server.now().replace(microsecond=0) + timedelta(seconds=1)  # the repository's time
        for n, template in enumerate(grown):
            added = ReplayRecord(identifier=f"oai:skew:{n}", datestamp=stamp, metadata=template.metadata)
            server.add_record(added)
        second = harvest_source(hub, "repo")
    assert second.status == "succeeded", second.error
    ours = first_run.started_at.replace(tzinfo=UTC)
    start = min(ours, told.replace(tzinfo=UTC)) - timedelta(seconds=hub.settings.oai_overlap_seconds)
    assert server.requests_for("ListRecords")[-1].get("from") == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (second.added, second.updated) == (3, 0), "every record stamped since the last run is fetched"


def test_expired_token_mid_harvest_still_stores_every_record_once(hub: Hub) -> None:
    records = load_real_records()
    live, deleted = live_and_deleted(records)
    with OaiReplayServer(records, page_size=5) as server:
        server.expire_tokens_after(2)
        _register(hub, server.url)
        summary = harvest_source(hub, "repo")
        refusals = [r for r in server.requests_for("ListRecords") if "resumptionToken" in r]
    assert summary.status == "succeeded", summary.error
    assert refusals, "the harvest must have paged with tokens"
    assert hub.store.count_records("repo") == len(live)
    assert hub.store.count_records("repo", deleted=True) == len(deleted)
    assert summary.added == len(live)


BAD_BODIES = {
    "ill-formed XML": (b'<?xml version="1.0"?><OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>'
                       b"<record><header>", 200, {"Content-Type": "text/xml"}, "MalformedResponse"),
    "HTML": (None, 200, {"Content-Type": "text/html"}, "MalformedResponse"),
    "500": (b"", 500, {"Content-Type": "text/plain"}, "TransientError"),
    "gzip bomb": (None, 200, {"Content-Type": "text/xml", "Content-Encoding": "gzip"}, "ResponseTooLarge"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_source_leaves_failed_run_and_earlier_records_intact(hub: Hub, case: str) -> None:
    body, status, headers, error = BAD_BODIES[case]
    if case == "HTML":
        body = fixture_bytes("zenodo/identify__01_Identify_http200.html")
    if case == "gzip bomb":
        body = fixture_bytes("hostile/bomb-gzip.bin")
    records = load_real_records()
    live, _ = live_and_deleted(records)
    with OaiReplayServer(records, page_size=7) as server:
        _register(hub, server.url)
        assert harvest_source(hub, "repo").status == "succeeded"
        before = _all_ids(hub)
        server.serve_raw(body or b"", status=status, headers=headers, verb="ListRecords")
        failed = harvest_source(hub, "repo", full=True)
    assert failed.status == "failed"
    assert failed.error and error in failed.error
    run = hub.store.get_run(failed.run_id)
    assert run is not None and run.status == "failed" and run.error == failed.error
    assert hub.store.count_records("repo") == len(live)
    assert _all_ids(hub) == before


def test_ssrf_guard_refuses_loopback_source_without_contacting_it(settings: Settings) -> None:
    guarded = settings.model_copy(update={"allow_private_networks": False})
    hub = open_hub(guarded)
    try:
        with OaiReplayServer(load_real_records()) as server:
            _register(hub, server.url)
            summary = harvest_source(hub, "repo")
            assert server.requests == []
    finally:
        hub.close()
    assert summary.status == "failed"
    assert summary.error and "UnsafeDestination" in summary.error and "loopback" in summary.error
