"""What the scale-out job tests share: Redis databases, `gkss` environments and commands, `celery
worker` processes started and stopped (or killed) by the tests, waiting for what they do."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from hub.context import open_hub
from hub.search.factory import open_index
from hub.settings import Settings

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
