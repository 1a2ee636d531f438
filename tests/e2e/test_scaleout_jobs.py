"""Scale-out jobs through one `celery worker` for the module: `gkss harvest` through the broker, the
beat entry, busy sources retried, the watchdog task (the worker killed mid-harvest and the shared
bucket are in test_scaleout_crash.py and test_scaleout_politeness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.context import open_hub
from hub.jobs.celery_app import ENQUEUE_DUE_TASK, WATCHDOG_TASK, make_celery
from hub.jobs.client import new_request, send_request, wait_for
from hub.jobs.schedule import scheduled_request
from hub.store import Store
from hub.store.schedules import set_schedule
from normalizers.resource import resource_id
from tests.e2e.scaleout_support import (
    DEAD,
    add_sources,
    flush,
    gkss,
    gkss_env,
    index_ids,
    redis_url,
    settings_of,
    start_workers,
    summary_numbers,
)
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records

# --- one worker for the module ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    url = redis_url(11)
    flush(url)
    home = tmp_path_factory.mktemp("scaleout") / "gkss"
    env = gkss_env(home, url)
    open_hub(settings_of(env)).close()
    [worker] = start_workers(env, home.parent, "shared")
    try:
        yield env
    finally:
        worker.stop()
        flush(url)


def test_gkss_harvest_through_the_broker_matches_in_process(shared: dict[str, str], tmp_path: Path) -> None:
    records = load_real_records()
    live, deleted = live_and_deleted(records)
    local = gkss_env(tmp_path / "local", None)
    with OaiReplayServer(records, page_size=5) as server:
        for env in (shared, local):
            add_sources(env, parity=server.url, dead=DEAD)
        # nothing listens at DEAD: the run fails, and so does the command, either way
        via_broker, in_process, *failed = gkss(
            (shared, ["harvest", "parity"]),
            (local, ["harvest", "parity"]),
            (shared, ["harvest", "dead"]),
            (local, ["harvest", "dead"]),
        )
        [queued] = gkss((shared, ["harvest", "parity", "--no-wait"]))
    assert [f.returncode for f in failed] == [1, 1], failed
    assert [summary_numbers(f.stderr)[:2] for f in failed] == [("dead", "failed")] * 2
    assert via_broker.returncode == in_process.returncode == 0, via_broker.stderr + in_process.stderr
    expected_line = ("parity", "succeeded", str(len(live)), "0", "0", str(len(deleted)), "0")
    assert summary_numbers(via_broker.stderr) == summary_numbers(in_process.stderr) == expected_line

    shared_home, local_home = Path(shared["GKSS_HOME"]), Path(local["GKSS_HOME"])
    ids = {resource_id("parity", i) for i in live}
    for home, env in ((shared_home, shared), (local_home, local)):
        store = Store(env["GKSS_DATABASE_URL"])
        assert store.count_records("parity") == len(live)
        assert store.count_records("parity", deleted=True) == len(deleted)
        store.close()
        assert {i for i in index_ids(home) if i.startswith("parity")} == ids

    assert queued.returncode == 0 and queued.stdout.strip().startswith("harvest:parity:")
    app = make_celery(settings_of(shared))
    second = wait_for(app, queued.stdout.strip(), poll=0.1, timeout=30)
    assert (second.status, second.added, second.deleted) == ("succeeded", 0, 0)
    store = Store(shared["GKSS_DATABASE_URL"])
    runs = store.list_runs("parity")
    store.close()
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    assert all(r.worker and r.worker.startswith("shared@") and r.heartbeat_at for r in runs)
    assert runs[0].request_id == queued.stdout.strip()


def test_beat_entry_enqueues_a_due_source_once_per_period(shared: dict[str, str]) -> None:
    records = load_real_records()
    live, _ = live_and_deleted(records)
    settings = settings_of(shared)
    app = make_celery(settings)
    with OaiReplayServer(records, page_size=10) as server:
        hub = open_hub(settings)
        try:
            hub.store.add_source("timed", "oai-pmh", server.url, {})
            row = set_schedule(hub.store, "timed", 3600)
            assert row is not None
            request = scheduled_request("timed", row.next_run_at)
            sent = [app.send_task(ENQUEUE_DUE_TASK, queue="gkss").get(timeout=30) for _ in range(3)]
            assert sent == [[request.request_id], [], []]
            summary = wait_for(app, request.request_id, poll=0.1, timeout=30)
            runs = hub.store.list_runs("timed")
        finally:
            hub.close()
    assert (summary.status, summary.added) == ("succeeded", len(live))
    assert [(r.status, r.request_id) for r in runs] == [("succeeded", request.request_id)]


def test_a_request_for_a_busy_source_is_retried_until_the_source_is_free(shared: dict[str, str]) -> None:
    from redis import Redis

    from hub.jobs.locks import RedisSourceLock

    records = load_real_records()
    live, _ = live_and_deleted(records)
    settings = settings_of(shared)
    app = make_celery(settings)
    client = Redis.from_url(shared["GKSS_BROKER_URL"])
    other_run = RedisSourceLock(client, "busy", "another request", lease=1.5)
    states: list[str] = []
    with OaiReplayServer(records, page_size=10) as server:
        add_sources(shared, busy=server.url)
        taken = datetime.now(UTC)
        assert other_run.acquire()
        request = new_request("busy")
        send_request(app, request)
        summary = wait_for(
            app, request.request_id, lambda state, _: states.append(state), poll=0.05, timeout=30
        )
    client.close()
    assert "RETRY" in states, states
    assert (summary.status, summary.added) == ("succeeded", len(live))
    store = Store(shared["GKSS_DATABASE_URL"])
    runs = store.list_runs("busy")
    store.close()
    assert len(runs) == 1
    waited = runs[0].started_at.replace(tzinfo=UTC) - taken
    assert waited >= timedelta(seconds=1.4), "the run began only once the other run's lease lapsed"


def test_watchdog_task_fails_runs_without_a_heartbeat(shared: dict[str, str]) -> None:
    settings = settings_of(shared)
    hub = open_hub(settings)
    try:
        hub.store.add_source("dog", "oai-pmh", "http://127.0.0.1:9/oai", {})
        run = hub.store.start_run("dog", False, None)
        hub.store.claim_run(run.id, worker="gone", request_id="r-dog")
        fresh = hub.store.start_run("dog", False, None)
        hub.store.claim_run(fresh.id, worker="alive", request_id="r-dog-2")
        app = make_celery(settings)
        assert app.send_task(WATCHDOG_TASK, queue="gkss").get(timeout=30) == []
        hub.store.finish_run(fresh.id, status="succeeded")
        # the worker judges with its own GKSS_RUN_STALE_SECONDS (300): age the heartbeat instead
        from sqlalchemy import update

        from hub.store.clock import utcnow
        from hub.store.models import RunRow

        with hub.store.session() as s, s.begin():
            old = utcnow().replace(microsecond=0).replace(year=2000)
            s.execute(update(RunRow).where(RunRow.id == run.id).values(heartbeat_at=old))
        assert app.send_task(WATCHDOG_TASK, queue="gkss").get(timeout=30) == [run.id]
        row = hub.store.get_run(run.id)
    finally:
        hub.close()
    assert row is not None and row.status == "failed"
    assert row.error is not None and row.error.startswith("worker lost (no heartbeat since 2000-")
