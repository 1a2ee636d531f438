"""Helper processes of a run (normalising beside it, parsing ahead): spawned, and ended with their run.

A ``ProcessPoolExecutor`` worker waits for work on a queue whose pipe it holds both ends of, so a run's
process that dies without closing its pool (killed by the kernel's OOM killer or ``kill -9``) would
leave its helpers waiting for ever, each holding the normalisers' models (about 160 MB); a Celery
worker's process is daemonic and starts no helpers. Every helper made here watches its parent's
sentinel in a thread of its own and exits as soon as the parent is gone.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.connection import wait


def helper_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes (no thread or database connection of the run is copied)
    that end when the process that made them ends."""
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=mp.get_context("spawn"), initializer=end_with_parent
    )


def end_with_parent() -> None:
    """In a helper: exit at once when the parent process is gone (its sentinel becomes ready)."""
    parent = mp.parent_process()
    if parent is None:  # not a child of multiprocessing: nothing to watch
        return
    sentinel = parent.sentinel

    def watch() -> None:
        wait([sentinel])
        os._exit(0)  # the parent is gone: nobody is left to take this helper's results

    threading.Thread(target=watch, name="gkss-end-with-parent", daemon=True).start()
