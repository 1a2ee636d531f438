"""Helpers end with their run: a run's process killed outright (SIGKILL: no ``close``, no ``finally``)
leaves no helper process behind (hub.pipeline.helper_pool). Real processes, no fake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RUN = textwrap.dedent(
    """
    import os, sys, time
    from hub.pipeline.helper_pool import helper_pool

    if __name__ == "__main__":
        pool = helper_pool(2)
        pids = {pool.submit(os.getpid).result() for _ in range(8)}
        print(" ".join(str(p) for p in sorted(pids)), flush=True)
        time.sleep(600)  # killed before this ends
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): count it as gone (it has exited, waiting for its reaper)
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


def test_helpers_exit_when_their_run_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "run.py"
    script.write_text(RUN)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert run.stdout is not None
        helpers = [int(p) for p in run.stdout.readline().split()]
        assert helpers and run.pid not in helpers
        assert all(_alive(pid) for pid in helpers)  # the helpers run while their run does
        run.send_signal(signal.SIGKILL)
        run.wait(30)
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a speed target
        while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in helpers if _alive(pid)], "helpers outlived their killed run"
    finally:
        if run.poll() is None:
            run.kill()
