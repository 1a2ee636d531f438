"""Crash recovery with real processes: `gkss harvest` killed with SIGKILL at several points of a
20,000-record OAI-PMH replay; the next harvest ends the killed runs as failed and levels the index."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hub.search.factory import open_index
from hub.store import Store
from tests.benchmarks.harvest_corpus import build_records, make_server_class

ROOT = Path(__file__).resolve().parents[2]
RECORDS = 20_000
KILL_AT = (4_000, 10_000, 16_000)  # records stored when `gkss harvest` is killed, one run each

pytestmark = pytest.mark.slow


def gkss_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GKSS_")}
    env.update(
        GKSS_HOME=str(home),
        GKSS_ALLOW_PRIVATE_NETWORKS="1",
        GKSS_DATABASE_URL=f"sqlite:///{home / 'gkss.sqlite'}",
        GKSS_SEARCH_URL="",
        GKSS_HOST_RATE="500",
        GKSS_HOST_BURST="10",
        COLUMNS="200",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def gkss(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def replay() -> Iterator[str]:
    with make_server_class()(build_records(RECORDS), page_size=500) as server:
        yield server.url


def _wait_for_drift(env: dict[str, str], home: Path, at: int, alive: Callable[[], bool]) -> tuple[int, int]:
    """Wait until ``at`` records are stored and the index is behind the store (a batch between its
    store commit and its index write); returns (stored, indexed) then."""
    store = Store(env["GKSS_DATABASE_URL"])
    index = open_index(None, home)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert alive(), f"the harvest ended before {at} records were stored"
            assert time.monotonic() < deadline, f"{at} records were not stored in time"
            stored = store.count_records("repo")
            if stored >= at:
                indexed = index.count()
                if indexed < stored:
                    return stored, indexed
            time.sleep(0.01)
    finally:
        index.close()
        store.close()


def _kill_when_stored(env: dict[str, str], home: Path, at: int) -> tuple[int, int, int]:
    """Start `gkss harvest repo` and SIGKILL it at ``at`` records stored, the index behind the store;
    returns (pid, stored, indexed) at the kill."""
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "harvest", "repo"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        stored, indexed = _wait_for_drift(env, home, at, lambda: process.poll() is None)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        return process.pid, stored, indexed
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_killed_harvests_leave_no_drift_and_failed_runs(replay: str, tmp_path: Path) -> None:
    home = tmp_path / "gkss"
    env = gkss_env(home)
    added = gkss(env, "sources", "add", "repo", "--protocol", "oai-pmh", "--url", replay)
    assert added.returncode == 0, added.stdout + added.stderr
    killed: list[tuple[int, int, int]] = []
    for at in KILL_AT:
        killed.append(_kill_when_stored(env, home, at))
        store = Store(env["GKSS_DATABASE_URL"])
        try:
            runs = store.list_runs("repo")
        finally:
            store.close()
        # the killed run is still `running`; every run killed before it was ended by the next process
        assert [r.status for r in runs] == ["running"] + ["failed"] * (len(killed) - 1)
    gaps = [stored - indexed for _, stored, indexed in killed]
    assert any(gap > 0 for gap in gaps), f"no kill left the index behind the store: {killed}"

    final = gkss(env, "harvest", "repo", "--json")
    assert final.returncode == 0, final.stdout + final.stderr
    check = gkss(env, "index", "check", "--json")
    assert check.returncode == 0, check.stdout + check.stderr
    drift = json.loads(check.stdout)
    assert drift["counts"] == {"missing": 0, "extra": 0, "stale": 0}

    listed = gkss(env, "runs", "repo", "--json")
    assert listed.returncode == 0, listed.stderr
    runs = sorted(json.loads(listed.stdout), key=lambda r: r["id"])
    assert [r["status"] for r in runs] == ["failed"] * len(KILL_AT) + ["succeeded"]
    for run, (pid, _, _) in zip(runs, killed, strict=False):
        assert run["error"].startswith(f"process lost (process {pid} on "), run["error"]
    store = Store(env["GKSS_DATABASE_URL"])
    try:
        assert store.count_records("repo") == RECORDS
    finally:
        store.close()
    index = open_index(None, home)
    try:
        assert index.count() == RECORDS
    finally:
        index.close()


# --- scale-out: a Celery worker killed mid-harvest ----------------------------------------------


def test_a_killed_worker_leaves_no_drift_and_a_failed_run(replay: str, tmp_path: Path) -> None:
    from tests.e2e.scaleout_support import flush, redis_url, start_workers
    from tests.support.databases import fresh_database

    if not os.environ.get("GKSS_TEST_DATABASE_URL"):
        pytest.skip("GKSS_TEST_DATABASE_URL is not set (scale-out: PostgreSQL, Redis and workers)")
    broker = redis_url(13)
    flush(broker)
    home = tmp_path / "gkss"
    with fresh_database("postgresql", tmp_path) as database:
        env = gkss_env(
            home,
            GKSS_DATABASE_URL=database,
            GKSS_BROKER_URL=broker,
            GKSS_RUN_STALE_SECONDS="2",
            GKSS_JOB_VISIBILITY_TIMEOUT="3",
        )
        added = gkss(env, "sources", "add", "repo", "--protocol", "oai-pmh", "--url", replay)
        assert added.returncode == 0, added.stdout + added.stderr
        workers = start_workers(env, tmp_path, "one", "two")
        harvest = subprocess.Popen(
            [sys.executable, "-m", "hub", "harvest", "repo", "--json"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            stored, indexed = _wait_for_drift(env, home, 8_000, lambda: harvest.poll() is None)
            store = Store(database)
            try:
                [taken] = store.list_runs("repo")
            finally:
                store.close()
            assert taken.worker is not None
            doomed = next(
                w for w, n in zip(workers, ("one", "two"), strict=True) if taken.worker.startswith(n)
            )
            doomed.kill()  # SIGKILL to its process group: the pool child running the harvest with it
            out, err = harvest.communicate(timeout=300)
            assert harvest.returncode == 0, out + err
            check = gkss(env, "index", "check", "--json")
            listed = gkss(env, "runs", "repo", "--json")
        finally:
            if harvest.poll() is None:
                harvest.kill()
                harvest.wait()
            for worker in workers:
                worker.stop()
            flush(broker)
    assert stored > indexed
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["counts"] == {"missing": 0, "extra": 0, "stale": 0}
    runs = sorted(json.loads(listed.stdout), key=lambda r: r["id"])
    assert [r["status"] for r in runs] == ["failed", "succeeded"]
    assert runs[0]["id"] == taken.id
    assert runs[0]["error"].startswith("worker lost (no heartbeat since "), runs[0]["error"]
    assert runs[1]["added"] + runs[1]["unchanged"] + runs[1]["updated"] == RECORDS
