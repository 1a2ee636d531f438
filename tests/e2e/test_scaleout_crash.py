"""A `celery worker` SIGKILLed mid-harvest: the message is redelivered to another worker, the lost run
is failed, and every record lands once in the store and the index (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.context import open_hub
from hub.jobs.celery_app import make_celery
from hub.jobs.client import new_request, send_request, wait_for
from normalizers.resource import resource_id
from tests.e2e.scaleout_support import (
    Worker,
    flush,
    gkss_env,
    index_ids,
    redis_url,
    settings_of,
    start_workers,
    wait_until,
)
from tests.support.databases import database_kinds, fresh_database
from tests.support.oai_replay import OaiReplayServer, live_and_deleted, load_real_records

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
