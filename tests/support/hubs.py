"""Real hub processes for tests: `python -m hub serve` on a free 127.0.0.1 port with its own GKSS_HOME."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

GKSS = [sys.executable, "-m", "hub"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_port_pair(gap: int) -> int:
    """A free 127.0.0.1 port P whose partner P + gap is free too (a cluster node's HTTP and transport)."""
    for _ in range(200):
        port = free_port()
        if port + gap > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + gap))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port pair {gap} apart on 127.0.0.1")


class HubProcess:
    """One hub: home, node id, environment; `serve()` starts it, `stop()` ends it, `cli()` runs `gkss`."""

    def __init__(self, home: Path, node_id: str, **settings: str) -> None:
        self.home = home
        self.node_id = node_id
        self.port = free_port()
        self.env = {
            **os.environ,
            "GKSS_HOME": str(home),
            "GKSS_NODE_ID": node_id,
            "GKSS_ALLOW_PRIVATE_NETWORKS": "1",
            "GKSS_HTTP_MAX_RETRIES": "0",
            "GKSS_HOST_RATE": "1000",
            "GKSS_HOST_BURST": "1000",
            "GKSS_API_RATE": "0",  # test clients and peers call far faster than a person
            **{f"GKSS_{k.upper()}": v for k, v in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*GKSS, *args], env=self.env, capture_output=True, text=True, timeout=180)
        if check and result.returncode != 0:
            raise AssertionError(f"gkss {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def serve(self, *extra: str) -> HubProcess:
        """Start ``gkss serve`` (with ``extra`` options) and wait until it answers."""
        self.process = subprocess.Popen(
            [*GKSS, "serve", "--port", str(self.port), *extra],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(self.url + "/healthz", timeout=2).raise_for_status()
                return self
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError(f"hub {self.node_id} did not start on {self.url}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> HubProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
