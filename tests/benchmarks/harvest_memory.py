"""Run B's memory as the run goes: the resident set of the run's process and of its helper at N/4,
N/2, 3N/4 and N records (issue 20: flat from 25,000 to 100,000 records)."""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path
from typing import Any

_FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile")


def status_mb(pid: int | str = "self") -> dict[str, float]:
    """VmRSS, VmHWM, RssAnon and RssFile (MB) of a process, empty when it is gone."""
    found: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in _FIELDS:
                found[name] = int(value.split()[0]) / 1024
    except (OSError, ValueError, IndexError):
        return {}
    return found


def children() -> list[int]:
    """This process's child processes (the run's normalising helper)."""
    found: list[int] = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            found += [int(pid) for pid in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


_MALLINFO2 = [
    "arena",
    "ordblks",
    "smblks",
    "hblks",
    "hblkhd",
    "usmblks",
    "fsmblks",
    "uordblks",
    "fordblks",
    "keepcost",
]


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2]


def malloc_mb() -> dict[str, float]:
    """glibc's heap, all arenas (Python's objects and the native libraries' alike): in use, and held
    free (what malloc keeps instead of giving back); empty where there is no mallinfo2."""
    try:
        call = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return {}
    call.restype = _MallInfo2
    info = call()
    return {"in_use": (info.uordblks + info.hblkhd) / 2**20, "held_free": info.fordblks / 2**20}


class Checkpoints:
    """A run's progress callback: the memory of the run's process and its helpers at each quarter."""

    def __init__(self, total: int) -> None:
        self.marks = [total * k // 4 for k in (1, 2, 3, 4)]
        self.taken: list[dict[str, Any]] = []

    def __call__(self, seen: int) -> None:
        while self.marks and seen >= self.marks[0]:
            self.take(self.marks.pop(0))

    def take(self, mark: int | str) -> None:
        """Note the memory now, at ``mark`` (records seen, or words such as "run ended")."""
        helpers = [status_mb(pid) for pid in children()]
        run = status_mb() | malloc_mb() | {"py_blocks": sys.getallocatedblocks()}
        self.taken.append({"records": mark, "run": run, "helpers": [h for h in helpers if h]})


def print_checkpoints(taken: list[dict[str, Any]]) -> None:
    """One line per quarter: the run's process (RSS, anonymous, file-backed) and each helper's RSS."""
    if not taken:
        return
    print("RSS as the run goes (MB): records  run VmRSS (anon + file)  run VmHWM  helper VmRSS / VmHWM")
    for point in taken:
        run = point["run"]
        helpers = ", ".join(f"{h.get('VmRSS', 0):.1f} / {h.get('VmHWM', 0):.1f}" for h in point["helpers"])
        print(
            f"  {point['records']:>9}  {run.get('VmRSS', 0):8.1f} ({run.get('RssAnon', 0):.1f} + "
            f"{run.get('RssFile', 0):.1f})  {run.get('VmHWM', 0):8.1f}  {helpers or 'no helper'}   malloc in "
            f"use {run.get('in_use', 0):.1f}, held free {run.get('held_free', 0):.1f}, Python blocks "
            f"{run.get('py_blocks', 0):,}"
        )
