"""The harvest benchmark's children: each run in a fresh spawned interpreter, its memory sampled
from outside (``in_child``, ``RssSampler``)."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from pathlib import Path
from typing import Any


class RssSampler:
    """Polls /proc/PID/status of a child for the peaks of its RSS parts (anonymous, file, shmem).

    VmHWM says how high the resident set went; these say what it was made of: file-backed and
    shared pages (mmap of SQLite files, the WAL index) are counted in RSS but are reclaimable.
    Whenever RssFile reaches a new peak (by 8 MB or more), /proc/PID/smaps is read for the
    largest file mappings, so the report can name the files behind it.
    """

    FIELDS = ("RssAnon", "RssFile", "RssShmem")

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.proc = Path(f"/proc/{pid}")
        self.interval = interval
        self.peaks = dict.fromkeys(self.FIELDS, 0.0)
        self.files: list[tuple[float, str]] = []
        self._files_at = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rss-{pid}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                lines = (self.proc / "status").read_text().splitlines()
                for line in lines:
                    name, _, value = line.partition(":")
                    if name in self.peaks:
                        self.peaks[name] = max(self.peaks[name], int(value.split()[0]) / 1024)
                if self.peaks["RssFile"] >= self._files_at + 8:
                    self._files_at = self.peaks["RssFile"]
                    self.files = self._largest_files()
            except (OSError, ValueError, IndexError):
                return
            self._stop.wait(self.interval)

    def _largest_files(self) -> list[tuple[float, str]]:
        sizes: dict[str, float] = {}
        path = ""
        for line in (self.proc / "smaps").read_text().splitlines():
            fields = line.split()
            if fields and "-" in fields[0] and len(fields) >= 5 and not fields[0].endswith(":"):
                path = fields[5] if len(fields) > 5 and fields[5].startswith("/") else ""
            elif path and fields[:1] == ["Rss:"]:
                sizes[path] = sizes.get(path, 0.0) + int(fields[1]) / 1024
        return sorted(((mb, name) for name, mb in sizes.items()), reverse=True)[:3]

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        out: dict[str, Any] = {f"peak_{name}": value for name, value in self.peaks.items()}
        out["file_mappings"] = self.files
        return out


def in_child(target: Any, *args: Any) -> dict[str, Any]:
    """Run ``target(*args, conn)`` in a fresh spawned interpreter and return what it sends, with
    ``server_cpu``: this process's CPU seconds meanwhile (the replay server's threads, the sampler)."""
    server_cpu = time.process_time()
    context = mp.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=target, args=(*args, sender), name=target.__name__)
    process.start()
    sender.close()
    sampler = RssSampler(process.pid) if process.pid is not None else None
    try:
        result: dict[str, Any] = receiver.recv()
    except EOFError:
        result = {"crashed": True}
    if sampler is not None:
        result.update(sampler.stop())
    process.join()
    result["server_cpu"] = time.process_time() - server_cpu
    if process.exitcode:
        result["crashed"] = True
        result["exitcode"] = process.exitcode
    return result
