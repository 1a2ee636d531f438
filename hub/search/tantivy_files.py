"""The embedded index's directory: its version, its writer lock across processes, its commit signature."""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import json
import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import tantivy

from hub.search.tantivy_schema import SCHEMA_VERSION

log = logging.getLogger(__name__)

LOCK = "gkss-writer.lock"  # held (flock) by the one process writing
VERSION = "gkss-index.json"  # {"schema": SCHEMA_VERSION} of the code that built the index
META = "meta.json"  # Tantivy's list of committed segments: rewritten (renamed over) by every commit


class IndexFiles:
    """A Tantivy index directory of the hub: opened as is when its version is ours, else emptied."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._meta = str(directory / META)
        directory.mkdir(parents=True, exist_ok=True)

    def _current(self) -> bool:
        try:
            version = json.loads((self.directory / VERSION).read_text(encoding="utf-8")).get("schema")
        except (OSError, ValueError, AttributeError):
            return False
        return version == SCHEMA_VERSION and (self.directory / META).exists()

    def open(self, schema: tantivy.Schema) -> tuple[tantivy.Index, bool]:
        """The index and whether it was (re)created empty, so it must be refilled from the store."""
        if self._current():
            try:
                return tantivy.Index.open(str(self.directory)), False
            except (OSError, ValueError):
                log.warning("search index at %s unreadable: it is rebuilt", self.directory)
        with self.writing():
            if self._current():  # another process made it while this one waited
                try:
                    return tantivy.Index.open(str(self.directory)), False
                except (OSError, ValueError):
                    pass
            if (self.directory / META).exists():
                log.warning(
                    "search index at %s of another version: emptied, rebuilt from the store", self.directory
                )
            for entry in self.directory.iterdir():
                if entry.name == LOCK:
                    continue
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
            index = tantivy.Index(schema, path=str(self.directory), reuse=False)
            (self.directory / VERSION).write_text(json.dumps({"schema": SCHEMA_VERSION}), encoding="utf-8")
            return index, True

    def signature(self) -> tuple[int, int, int] | None:
        """What identifies the latest commit (meta.json's inode, time and size), None before the first."""
        try:
            st = os.stat(self._meta)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def hold(self) -> HeldLock:
        """Take the directory's writer lock (waiting for another process's write to end) until the
        returned lock is closed, possibly by another thread."""
        handle = open(self.directory / LOCK, "a+b")  # noqa: SIM115 (closed by HeldLock.close)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        except BaseException:
            handle.close()
            raise
        return HeldLock(handle)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the directory's writer lock (waiting for another process's write to end)."""
        with open(self.directory / LOCK, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class HeldLock:
    """The writer lock of an index directory, held until ``close``."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._handle = handle

    def close(self) -> None:
        if not self._handle.closed:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()


def merged(writer: tantivy.IndexWriter, held: HeldLock | None) -> None:
    """Wait for a commit's merges (outside the GIL), then let other processes write, and give the
    writer's memory back to the system."""
    try:
        writer.wait_merging_threads()
    except Exception:  # a failed merge loses nothing committed: the segments stay as they are
        log.warning("merging the index's segments failed", exc_info=True)
    finally:
        if held is not None:
            held.close()
    del writer
    _trim()


def _trim() -> None:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``). The writer's indexing
    heap, its merges and the documents of a write are freed by then, but glibc keeps freed memory in
    its arenas: a long harvest's resident set grew by the size of every write (issue 20)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> ctypes.CDLL | None:
    """glibc, its arenas capped at two (as MALLOC_ARENA_MAX=2 does): each thread that writes or merges
    the index would otherwise get an arena of its own, each keeping its own freed memory; and large
    blocks mapped apart from ``MMAP_THRESHOLD`` up."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        libc.mallopt(_M_ARENA_MAX, 2)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        return libc
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to trim
        return None


_M_ARENA_MAX = -8  # glibc's malloc.h
_M_MMAP_THRESHOLD = -3
# Blocks from 256 KB up (the index writer's 1 MB arena pages, merge buffers) are mapped apart and
# unmapped when freed: a fixed threshold, where glibc's own grows with the largest block freed and
# then keeps such blocks in its arenas, free but resident (issue 20).
MMAP_THRESHOLD = 256 * 1024


_LIBC = _libc()
