"""Scale-out jobs with real processes: Redis, `celery worker`s, the `gkss` CLI, SIGKILL mid-harvest."""

from __future__ import annotations

import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from hub.context import open_hub
from hub.jobs.celery_app import ENQUEUE_DUE_TASK, WATCHDOG_TASK, make_celery
from hub.jobs.client import new_request, send_request, wait_for
from hub.jobs.schedule import scheduled_request
from hub.search.factory import open_index
from hub.settings import Settings
from hub.store import Store
from hub.store.schedules import set_schedule
from normalizers.resource import resource_id
from tests.support.databases import database_kinds, fresh_database
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records

ROOT = Path(__file__).resolve().parents[2]
DEAD = "http://127.0.0.1:9/oai"
SUMMARY = re.compile(
    r"(\S+): run #\d+ (\w+) added=(\d+) updated=(\d+) unchanged=(\d+) deleted=(\d+) failed=(\d+)"
)


def redis_url(db: int) -> str:
    base = os.environ.get("GKSS_TEST_REDIS_URL")
    if not base:
        pytest.skip("GKSS_TEST_REDIS_URL is not set (start one: URL=$(deploy/local/redis up))")
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", ""))


def flush(url: str) -> None:
    from redis import Redis

    client = Redis.from_url(url)
    client.flushdb()
    client.close()


def gkss_env(home: Path, broker: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GKSS_")}
    env.update(
        GKSS_HOME=str(home),
        GKSS_ALLOW_PRIVATE_NETWORKS="1",
        GKSS_DATABASE_URL=f"sqlite:///{home / 'gkss.sqlite'}",
        GKSS_SEARCH_URL="",
        GKSS_HOST_RATE="500",
        GKSS_HOST_BURST="10",
        GKSS_HTTP_TIMEOUT="5",
        GKSS_HTTP_MAX_RETRIES="1",
        GKSS_MAX_RETRY_AFTER="0.05",
        COLUMNS="200",
        PYTHONPATH=str(ROOT),
    )
    if broker:
        env["GKSS_BROKER_URL"] = broker
    env.update(extra)
    return env


def settings_of(env: dict[str, str]) -> Settings:
    home = Path(env["GKSS_HOME"])
    return Settings(
        home=home,
        database_url=env["GKSS_DATABASE_URL"],
        search_url=None,
        broker_url=env.get("GKSS_BROKER_URL"),
        job_visibility_timeout=int(env.get("GKSS_JOB_VISIBILITY_TIMEOUT", "3600")),
    )


@dataclass
class Worker:
    """A `celery -A hub.jobs worker` in its own process group (so SIGKILL takes its pool too)."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self, sig: signal.Signals = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def start_workers(env: dict[str, str], log_dir: Path, *names: str) -> list[Worker]:
    """Start the workers side by side; return once each says it is ready."""
    workers = []
    for name in names:
        log = log_dir / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hub.jobs",
            "worker",
            "-Q",
            "gkss",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
            f"--hostname={name}@%h",
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
            )
        workers.append(Worker(process, log))
    deadline = time.monotonic() + 60
    for worker in workers:
        while " ready." not in worker.output():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                for started in workers:
                    started.stop()
                raise AssertionError(f"a worker did not start:\n{worker.output()[-3000:]}")
            time.sleep(0.1)
    return workers


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def gkss(
    *calls: tuple[dict[str, str], list[str]], timeout: float = 60
) -> list[subprocess.CompletedProcess[str]]:
    """Run `gkss` commands side by side (each with its env); their completed processes, in order."""
    started = [
        (
            args,
            subprocess.Popen(
                [sys.executable, "-m", "hub", *args],
                env=env,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
        )
        for env, args in calls
    ]
    done = []
    for args, process in started:
        out, err = process.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(args, process.returncode, out, err))
    return done


def summary_numbers(stderr: str) -> tuple[str, ...]:
    match = SUMMARY.search(stderr)
    assert match, stderr
    return match.groups()


def add_sources(env: dict[str, str], **urls: str) -> None:
    hub = open_hub(settings_of(env))
    try:
        for source_id, url in urls.items():
            hub.store.add_source(source_id, "oai-pmh", url, {})
    finally:
        hub.close()


def index_ids(home: Path) -> list[str]:
    index = open_index(None, home)
    try:
        return list(index.ids())
    finally:
        index.close()


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


# --- a worker dies mid-harvest ------------------------------------------------------------------


@pytest.mark.parametrize("kind", database_kinds())
def test_worker_killed_mid_harvest_is_redelivered_and_every_record_lands_once(
    kind: str, tmp_path: Path
) -> None:
    url = redis_url(12)
    flush(url)
    with fresh_database(kind, tmp_path) as database:
        _kill_mid_harvest(tmp_path, url, database)


def _kill_mid_harvest(tmp_path: Path, url: str, database: str) -> None:
    records = load_real_records()
    live, deleted = live_and_deleted(records)
    env = gkss_env(
        tmp_path / "gkss",
        url,
        GKSS_DATABASE_URL=database,
        GKSS_HOST_RATE="12",  # ~20 requests: slow enough to kill it midway, shared by both workers
        GKSS_HOST_BURST="1",
        GKSS_BATCH_SIZE="2",
        GKSS_RUN_STALE_SECONDS="2",
        GKSS_JOB_VISIBILITY_TIMEOUT="3",
    )
    settings = settings_of(env)
    hub = open_hub(settings)
    workers: list[Worker] = []
    try:
        with OaiReplayServer(records, page_size=2) as server:
            hub.store.add_source("repo", "oai-pmh", server.url, {})
            workers = start_workers(env, tmp_path, "one", "two")
            app = make_celery(settings)
            request = new_request("repo")
            send_request(app, request)
            wait_until(lambda: hub.store.count_records("repo") >= 6, 30, "the first records")
            [taken] = hub.store.list_runs("repo")
            assert taken.worker is not None
            doomed = next(
                w for w, n in zip(workers, ("one", "two"), strict=True) if taken.worker.startswith(n)
            )
            doomed.kill()  # its pool child with it: SIGKILL to the process group
            runs = hub.store.list_runs("repo")
            stored_before = hub.store.count_records("repo") + hub.store.count_records("repo", deleted=True)
            assert [r.status for r in runs] == ["running"], "killed mid-run"
            assert 0 < stored_before < len(live) + len(deleted)
            # the other worker gets the message back once the visibility timeout has passed
            summary = wait_for(app, request.request_id, poll=0.2, timeout=45)
            runs = hub.store.list_runs("repo")
            live_count = hub.store.count_records("repo")
            tombstones = hub.store.count_records("repo", deleted=True)
        ids = index_ids(Path(env["GKSS_HOME"]))
    finally:
        for worker in workers:
            worker.stop()
        hub.close()
        flush(url)
    assert summary.status == "succeeded", summary.error
    lost, done = sorted(runs, key=lambda r: r.id)
    assert lost.status == "failed" and lost.worker == taken.worker
    assert lost.error and lost.error.startswith("worker lost (no heartbeat since ")
    assert done.status == "succeeded" and done.worker and done.worker.split("@")[0] in ("one", "two")
    assert done.worker.split("@")[0] != lost.worker.split("@")[0], "another worker finished it"
    assert lost.request_id == done.request_id == request.request_id
    assert (live_count, tombstones) == (len(live), len(deleted))
    assert len(ids) == len(set(ids)) == len(live)
    assert set(ids) == {resource_id("repo", i) for i in live}


# --- politeness across processes -----------------------------------------------------------------


def _take_slots(url: str, host: str, count: int, rate: float, burst: int, start: Any, out: Any) -> None:
    from redis import Redis

    from hub.jobs.politeness import RedisBucket

    client = Redis.from_url(url)
    bucket = RedisBucket(client, rate, burst)
    bucket.penalise("warm-up.example", 0.0)  # connects and loads the script before the start
    start.wait(timeout=30)
    stamps = []
    for _ in range(count):
        bucket.acquire(host)
        stamps.append(time.time())
    out.put(stamps)


def test_token_bucket_is_shared_by_two_processes() -> None:
    url = redis_url(13)
    flush(url)
    rate, burst, per_process = 10.0, 3, 8
    total = 2 * per_process
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    start = context.Barrier(2)
    processes = [
        context.Process(
            target=_take_slots, args=(url, "shared.example", per_process, rate, burst, start, out)
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    stamps = [out.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(timeout=10)
    flush(url)
    assert all(len(batch) == per_process for batch in stamps)
    assert max(b[0] for b in stamps) < min(b[-1] for b in stamps), "both processes took slots at once"
    every = sorted(t for batch in stamps for t in batch)
    first = every[0]
    assert every[-1] - first >= (total - burst) / rate - 0.02, "N slots take at least (N - burst) / rate"
    for n, stamp in enumerate(every[burst:], start=1):  # slots are only ever late, never early
        assert stamp - first >= n / rate - 0.02, f"slot {burst + n} came early"
    assert every[-1] - first < (total - burst) / rate + 0.75, "no slot may be wasted either"
