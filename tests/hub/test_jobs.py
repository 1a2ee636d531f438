"""Jobs in one process: idempotent requests taking over lost runs, the watchdog, schedules (the HTTP
hooks, buckets and source locks are in test_jobs_politeness.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from hub.context import Hub, open_hub
from hub.jobs.locks import LocalSourceLock
from hub.jobs.politeness import LocalBucket
from hub.jobs.runner import RunRequest, SourceBusy, run_request
from hub.jobs.schedule import claim_due_requests, run_in_process, scheduled_request
from hub.jobs.watchdog import reap_lost_runs
from hub.pipeline import harvest_source
from hub.settings import Settings
from hub.store.clock import utcnow
from hub.store.models import RunRow
from hub.store.schedules import get_schedule, set_schedule
from normalizers.resource import resource_id
from tests.support.databases import database_kinds, fresh_database
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records


@pytest.fixture
def db_kind(request: pytest.FixtureRequest) -> str:
    """SQLite; tests of the new store queries also run on PostgreSQL (``BOTH_DATABASES``)."""
    return str(getattr(request, "param", "sqlite"))


BOTH_DATABASES = pytest.mark.parametrize("db_kind", database_kinds(), indirect=True)


@pytest.fixture
def settings(db_kind: str, tmp_path: Path) -> Iterator[Settings]:
    with fresh_database(db_kind, tmp_path) as database_url:
        yield _settings(tmp_path, database_url)


def _settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        home=tmp_path / "gkss",
        database_url=database_url,
        search_url=None,
        broker_url=None,
        http_timeout=5,
        http_total_timeout=20,
        http_max_retries=1,
        max_retry_after=0.05,
        batch_size=7,
        run_stale_seconds=2.0,
        host_rate=1000.0,
        host_burst=10,
        scheduler_tick_seconds=0.01,
    )


@pytest.fixture
def hub(settings: Settings) -> Iterator[Hub]:
    opened = open_hub(settings)
    yield opened
    opened.close()


# --- requests: idempotent, one at a time, taking over lost runs ---------------------------------


def test_a_request_runs_once_and_a_redelivery_does_nothing(hub: Hub, settings: Settings) -> None:
    records = load_real_records()
    live, deleted = live_and_deleted(records)
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {})
        request = RunRequest("req-1", "repo")
        first = run_request(
            settings, request, lock=LocalSourceLock("repo", "t1", 2.0), limiter=None, worker="w1"
        )
        again = run_request(
            settings, request, lock=LocalSourceLock("repo", "t2", 2.0), limiter=None, worker="w2"
        )
        served = len(server.requests)
    assert (first.summary.status, first.duplicate) == ("succeeded", False)
    assert (first.summary.added, first.summary.deleted) == (len(live), len(deleted))
    assert again.duplicate and again.summary.run_id == first.summary.run_id
    assert again.summary.added == len(live)
    runs = hub.store.list_runs("repo")
    assert len(runs) == 1
    assert (runs[0].worker, runs[0].request_id) == ("w1", "req-1")
    assert runs[0].heartbeat_at is not None
    assert served == len(server.requests), "the duplicate sent no request"


def test_a_busy_source_makes_a_request_wait(hub: Hub, settings: Settings) -> None:
    hub.store.add_source("busy", "oai-pmh", "http://127.0.0.1:9/oai", {})
    holder = LocalSourceLock("busy", "someone-else", 5.0)
    assert holder.acquire()
    try:
        with pytest.raises(SourceBusy) as caught:
            run_request(
                settings,
                RunRequest("req-busy", "busy"),
                lock=LocalSourceLock("busy", "me", 5.0),
                limiter=None,
                worker="w",
            )
    finally:
        holder.release()
    assert 0.5 <= caught.value.retry_in <= 5.0
    assert hub.store.list_runs("busy") == []


@BOTH_DATABASES
def test_taking_the_source_fails_its_lost_run_and_levels_the_index(hub: Hub, settings: Settings) -> None:
    records = load_real_records()
    live, deleted = live_and_deleted(records)
    wanted = {resource_id("repo", i) for i in live}
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {})
        lost = harvest_source(hub, "repo")
        assert lost.status == "succeeded" and set(hub.index.ids()) == wanted
        # Its worker died after the store commits and before the index writes, the run still `running`:
        hub.index.delete(list(wanted))
        with hub.store.session() as s, s.begin():
            s.execute(
                update(RunRow).where(RunRow.id == lost.run_id).values(status="running", finished_at=None)
            )
        hub.store.claim_run(lost.run_id, worker="vanished", request_id="req-x")
        outcome = run_request(
            settings,
            RunRequest("req-x", "repo"),
            lock=LocalSourceLock("repo", "new", 2.0),
            limiter=LocalBucket(1000.0, 10),
            worker="w2",
        )
    assert outcome.summary.status == "succeeded" and not outcome.duplicate
    assert (outcome.summary.added, outcome.summary.updated) == (0, 0), "the new run finds nothing new"
    before = hub.store.get_run(lost.run_id)
    assert before is not None and before.status == "failed"
    assert before.error is not None and before.error.startswith("worker lost (no heartbeat since ")
    assert hub.store.count_records("repo") == len(live)
    assert hub.store.count_records("repo", deleted=True) == len(deleted)
    ids = list(hub.index.ids())
    assert len(ids) == len(set(ids)) and set(ids) == wanted, "the lost run's records were indexed again"


def test_a_slow_live_run_keeps_its_heartbeat_and_its_source(hub: Hub, settings: Settings) -> None:
    records = load_real_records()
    live, _ = live_and_deleted(records)
    stale = 0.8
    slow = settings.model_copy(update={"run_stale_seconds": stale})
    reaped: list[int] = []
    rivals: list[bool] = []
    finished = threading.Event()

    def watchdog() -> None:
        while not finished.wait(0.1):
            reaped.extend(r.id for r in reap_lost_runs(hub.store, stale))
            rival = LocalSourceLock("slow", "rival", stale)
            if rival.acquire():  # only a fault while the run is still live (it ends before it lets go)
                rivals.append([r.status for r in hub.store.list_runs("slow")] == ["running"])
                rival.release()
            else:
                rivals.append(False)

    with OaiReplayServer(records, page_size=6) as server:  # 8 requests at 3/s: over 2 s, well past `stale`
        hub.store.add_source("slow", "oai-pmh", server.url, {})
        dog = threading.Thread(target=watchdog)
        dog.start()
        started = time.monotonic()
        try:
            outcome = run_request(
                slow,
                RunRequest("req-slow", "slow"),
                lock=LocalSourceLock("slow", "me", stale),
                limiter=LocalBucket(rate=3.0, burst=1),
                worker="w",
            )
        finally:
            finished.set()
            dog.join()
        took = time.monotonic() - started
        sent = len(server.requests)
    assert took >= (sent - 1) / 3.0 - 0.05 and took > 2 * stale, (took, sent)
    assert outcome.summary.status == "succeeded" and outcome.summary.added == len(live)
    assert reaped == [], "a live run is never taken for lost"
    assert rivals and not any(rivals), "nobody else may take the source while it runs"


# --- watchdog ------------------------------------------------------------------------------------


@BOTH_DATABASES
def test_watchdog_fails_silent_runs_and_the_next_run_resumes_from_the_last_success(
    hub: Hub, settings: Settings
) -> None:
    records = load_real_records()
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {})
        good = harvest_source(hub, "repo")
        assert good.status == "succeeded"
        silent = hub.store.start_run("repo", False, None)
        hub.store.claim_run(silent.id, worker="w-gone", request_id="r-gone")
        beating = hub.store.start_run("repo", False, None)
        hub.store.claim_run(beating.id, worker="w-alive", request_id="r-alive")
        in_process = hub.store.start_run("repo", False, None)  # sends no heartbeat: never judged
        time.sleep(0.3)
        assert hub.store.heartbeat_run(beating.id)
        reaped = reap_lost_runs(hub.store, stale_seconds=0.2)
        assert [r.id for r in reaped] == [silent.id]
        states = {r.id: r.status for r in hub.store.list_runs("repo")}
        assert states[silent.id] == "failed"
        assert states[beating.id] == states[in_process.id] == "running"
        gone = hub.store.get_run(silent.id)
        assert gone is not None and gone.error is not None
        assert gone.error.startswith("worker lost (no heartbeat since ")
        assert reap_lost_runs(hub.store, stale_seconds=0.2) == [], "a run is reaped once"
        for row in (beating, in_process):
            hub.store.finish_run(row.id, status="failed", error="test")
        resumed = harvest_source(hub, "repo")
        window = server.requests_for("ListRecords")[-1]
    assert resumed.status == "succeeded"
    first = hub.store.get_run(good.run_id)
    assert first is not None
    expected_from = first.started_at.replace(tzinfo=UTC) - timedelta(seconds=settings.oai_overlap_seconds)
    assert window.get("from") == expected_from.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- schedules ------------------------------------------------------------------------------------


@BOTH_DATABASES
def test_a_due_source_is_claimed_once_per_period(hub: Hub) -> None:
    hub.store.add_source("sched", "oai-pmh", "http://127.0.0.1:9/oai", {})
    row = set_schedule(hub.store, "sched", 3600)
    assert row is not None and row.enabled
    due = row.next_run_at.replace(tzinfo=UTC)
    now = utcnow()
    assert abs((due - now).total_seconds()) < 5, "a new schedule is due at once"

    claims: list[list[RunRequest]] = []
    barrier = threading.Barrier(4)

    def claim() -> None:
        barrier.wait()
        claims.append(claim_due_requests(hub.store, now))

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [r for batch in claims for r in batch]
    assert taken == [scheduled_request("sched", due)]
    assert claim_due_requests(hub.store, now + timedelta(seconds=3599)) == []

    later = now + timedelta(seconds=3600 * 3 + 5)  # periods missed: one run, not a backlog
    assert claim_due_requests(hub.store, later) == [scheduled_request("sched", due + timedelta(hours=1))]
    after = get_schedule(hub.store, "sched")
    assert after is not None
    assert after.next_run_at.replace(tzinfo=UTC) == due + timedelta(hours=4)

    set_schedule(hub.store, "sched", None)
    assert claim_due_requests(hub.store, later + timedelta(days=1)) == []


def test_in_process_scheduler_harvests_due_sources_directly(hub: Hub, settings: Settings) -> None:
    records = load_real_records()
    live, _ = live_and_deleted(records)
    outcomes = []
    with OaiReplayServer(records, page_size=7) as server:
        hub.store.add_source("repo", "oai-pmh", server.url, {})
        set_schedule(hub.store, "repo", 3600)
        run_in_process(settings, ticks=3, sleep=lambda _: None, report=outcomes.append)
    assert len(outcomes) == 1, "one period, one run"
    assert outcomes[0].summary.added == len(live)
    runs = hub.store.list_runs("repo")
    assert len(runs) == 1 and runs[0].status == "succeeded"
    assert runs[0].request_id is not None and runs[0].request_id.startswith("schedule:repo:")
    assert runs[0].worker is not None and runs[0].worker.endswith("(scheduler)")


def test_sources_schedule_command_sets_and_clears_the_schedule(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from hub.cli import app

    monkeypatch.setenv("GKSS_HOME", str(settings.home))
    monkeypatch.setenv("GKSS_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.delenv("GKSS_BROKER_URL", raising=False)
    runner = CliRunner()
    assert (
        runner.invoke(
            app, ["sources", "add", "s1", "--protocol", "feed", "--url", "http://x.test/f"]
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["sources", "schedule", "s1"]).exit_code == 2
    assert runner.invoke(app, ["sources", "schedule", "nope", "--every", "60"]).exit_code == 2
    assert runner.invoke(app, ["sources", "schedule", "s1", "--every", "900"]).exit_code == 0
    hub = open_hub(settings)
    try:
        row = get_schedule(hub.store, "s1")
        assert row is not None and (row.every_seconds, row.enabled) == (900, True)
        assert runner.invoke(app, ["sources", "schedule", "s1", "--off"]).exit_code == 0
        row = get_schedule(hub.store, "s1")
        assert row is not None and not row.enabled
        assert claim_due_requests(hub.store, utcnow() + timedelta(days=1)) == []
    finally:
        hub.close()
