"""What crosses the pipe to a normalising helper (normalizers/chunks.py): records as plain tuples, the
same outcomes as normalising the records themselves (bad records included: the same record errors); the
helper's models out of the cyclic collector's reach after its first chunk; and the run's process
frozen only while it has helpers."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvesters.records import RawRecord
from hub.context import open_hub
from hub.pipeline import beside, harvest_source, normalise_record
from hub.pipeline.helper_pool import helper_pool
from hub.search.tantivy_schema import document_fields
from hub.settings import Settings
from hub.store.raw import stored_raw_records
from normalizers.chunks import Ready, normalise_rows, record_of, rows_of
from normalizers.dispatch import normalize_outcomes
from normalizers.model_memo import WithMemo
from normalizers.resource import Resource
from tests.support.oai_replay import OaiReplayServer, load_real_records

OAI_DC = "application/oai-pmh+xml; prefix=oai_dc"
PLACE = ("KE", ("africa",))


def _stored(home: Path) -> list[RawRecord]:
    """The real OAI-PMH records as a harvest stores them (their raw payloads)."""
    hub = open_hub(Settings(home=home, database_url=None, search_url=None, allow_private_networks=True))
    try:
        with OaiReplayServer(load_real_records(), page_size=9) as server:
            hub.store.add_source("repo", "oai-pmh", server.url, {})
            assert harvest_source(hub, "repo", full=True).status == "succeeded"
        return [raw for batch in stored_raw_records(hub.store, "repo", 50) for raw, _ in batch]
    finally:
        hub.close()


BAD = [
    RawRecord("repo", "broken", OAI_DC, b"<record><header>", datetime(2024, 1, 1, tzinfo=UTC)),
    RawRecord("repo", "gone", OAI_DC, b"", None, deleted=True),
    RawRecord("repo", "unknown", "application/x-nothing", b"{}", None),
]


def _comparable(outcomes: Sequence[object]) -> list[object]:
    return [o.model_dump_json() if isinstance(o, Resource) else o for o in outcomes]


def test_rows_give_the_outcomes_of_the_records_in_a_helper(tmp_path: Path) -> None:
    records = [*_stored(tmp_path / "store"), *BAD]
    assert len(records) > 20
    rows = rows_of(records)
    assert [record_of(row) for row in rows] == records  # every field but the parsed element
    expected = normalize_outcomes(normalise_record, records, "oai-pmh", PLACE)
    assert expected[-3:] == [  # bad records: clear record errors, a deleted one skipped
        "InvalidRecord: repo record broken: not well-formed XML: Premature end of data in tag header"
        " line 1, line 1, column 17 (<string>, line 1)",
        None,
        "InvalidRecord: no crosswalk for content type 'application/x-nothing'",
    ]
    assert sum(isinstance(o, Resource) for o in expected) > len(records) // 2
    pool = helper_pool(1)
    try:
        assert pool.submit(gc.get_freeze_count).result() == 0
        helped = pool.submit(normalise_rows, normalise_record, rows, "oai-pmh", PLACE).result()
        frozen = pool.submit(gc.get_freeze_count).result()
        again = pool.submit(normalise_rows, normalise_record, rows, "oai-pmh", PLACE).result()
    finally:
        pool.shutdown()
    assert _comparable(helped) == _comparable(expected)
    assert _comparable(again) == _comparable(expected)
    assert frozen > 10_000, "the helper's models are out of the collector's reach after its first chunk"


def test_the_run_is_frozen_only_while_it_has_helpers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _stored(tmp_path / "store")
    monkeypatch.setattr(beside, "START_AFTER", 2)
    monkeypatch.setattr(beside, "CHUNK", 3)
    monkeypatch.setattr(beside, "DEPTH", 1)
    seen: list[int] = []
    got: list[object] = []

    def deliver(raw: RawRecord, outcome: object) -> None:
        seen.append(gc.get_freeze_count())
        got.append(outcome)

    def here(raw: RawRecord) -> None:
        deliver(raw, normalize_outcomes(normalise_record, [raw], "oai-pmh", PLACE)[0])

    assert gc.get_freeze_count() == 0
    side = beside.Beside(normalise_record, here, deliver, "oai-pmh", PLACE)
    try:
        for raw in records:
            side.add(raw)
        side.flush()
    finally:
        side.close()
    assert seen[:2] == [0, 0], "the run's own first records: no helper, nothing frozen"
    assert min(seen[2:]) > 0, "the helped records are delivered while the run's process is frozen"
    assert gc.get_freeze_count() == 0, "everything is the collector's again once the helpers are gone"
    assert _comparable(got) == _comparable(normalize_outcomes(normalise_record, records, "oai-pmh", PLACE))


def _buggy(raw: RawRecord, protocol: str, place: tuple[object, object]) -> Resource:
    """``normalise_record`` with a bug for one record (defined here: the helper imports it by name)."""
    if raw.native_id.endswith(":bug-here"):
        raise RuntimeError(f"bug while normalising {raw.native_id}")
    return normalise_record(raw, protocol, place)


def test_a_bug_in_the_helper_ends_the_run_failed_and_unfrozen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.pipeline import run

    records = load_real_records()
    usable = [i for i, r in enumerate(records) if r.identifier and r.metadata and not r.deleted and not r.raw]
    at = usable[6]  # the helper's (START_AFTER 2, chunks of 3): the third chunk's
    records[at] = dataclasses.replace(records[at], identifier=f"{records[at].identifier}:bug-here")
    monkeypatch.setattr(beside, "START_AFTER", 2)
    monkeypatch.setattr(beside, "CHUNK", 3)
    monkeypatch.setattr(beside, "DEPTH", 1)
    monkeypatch.setattr(run, "normalise_record", _buggy)
    hub = open_hub(Settings(home=tmp_path, database_url=None, search_url=None, allow_private_networks=True))
    try:
        with OaiReplayServer(records, page_size=9) as server:
            hub.store.add_source("repo", "oai-pmh", server.url, {})
            summary = harvest_source(hub, "repo", full=True)
        assert summary.status == "failed"
        bug = f"RuntimeError: bug while normalising {records[at].identifier}"
        assert summary.error == f"internal error: {bug}"
        recorded = hub.store.get_run(summary.run_id)
        assert recorded is not None and recorded.status == "failed"
        assert 2 <= hub.store.count_records("repo") < len(usable), "what came before the bug is kept"
    finally:
        hub.close()
    assert gc.get_freeze_count() == 0


def test_a_stored_memo_crosses_with_its_record() -> None:
    """A re-normalised record's memo goes to the helper with it (else every model runs again there)."""
    plain = BAD[0]
    remembered = WithMemo(*rows_of([plain])[0][:6], memo='{"language:1":"xx"}')
    rows = rows_of([plain, remembered])
    assert [row[6] for row in rows] == [None, '{"language:1":"xx"}']
    crossed = [record_of(row) for row in rows]
    assert crossed == [plain, remembered]
    assert type(crossed[0]) is RawRecord and isinstance(crossed[1], WithMemo)
    assert crossed[1].memo == remembered.memo


def test_a_record_with_its_stored_state_comes_back_ready_from_a_helper(tmp_path: Path) -> None:
    """A re-normalised record goes with its stored record's harvest time and content hash: the helper
    stamps the Resource with that time and makes its content hash and, when that differs from the
    stored one, its JSON and index document fields: those the run's process would make."""
    records = [*_stored(tmp_path / "store"), *BAD]
    expected = normalize_outcomes(normalise_record, records, "oai-pmh", PLACE)
    at = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    stamped = [r.model_copy(update={"harvested": at}) if isinstance(r, Resource) else r for r in expected]
    for resource in stamped:
        if isinstance(resource, Resource):
            resource.provenance = resource.provenance.model_copy(update={"harvested": at})
    hashes = [r.content_hash() if isinstance(r, Resource) else None for r in stamped]
    # every other record stored as it is now made (unchanged), the others stored otherwise (changed)
    stored = [(at, h if i % 2 else "another") for i, h in enumerate(hashes)]
    pool = helper_pool(1)
    try:
        got = pool.submit(
            normalise_rows, normalise_record, rows_of(records, stored), "oai-pmh", PLACE, document_fields
        )
        helped = got.result()
    finally:
        pool.shutdown()
    assert len(helped) == len(records)
    changed = unchanged = 0
    for i, (outcome, want) in enumerate(zip(helped, stamped, strict=True)):
        if not isinstance(want, Resource):
            assert outcome == want  # a record error or a skipped record, as ever
            continue
        assert isinstance(outcome, Ready)
        assert outcome.resource.model_dump_json() == want.model_dump_json()
        assert outcome.content_hash == hashes[i]
        if i % 2:
            unchanged += 1
            assert outcome.json is None and outcome.fields is None
        else:
            changed += 1
            assert outcome.json == want.model_dump_json()
            assert outcome.fields == document_fields(want, want.model_dump_json())
    assert changed > 5 and unchanged > 5
