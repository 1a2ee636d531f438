"""Two background threads a run uses: one reads ahead of an iterator, one applies work items in order."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_END = object()
_POLL = 0.1  # seconds a blocked put or get waits before it looks at the stop flag again


class ReadAhead(Generic[T]):
    """Iterates ``source`` in a thread, up to ``depth`` items ahead of the consumer.

    The thread does the source's I/O and parsing (network reads and lxml release the GIL) while
    the consumer works. The consumer takes every item read so far at once (one hand-over per
    batch, not per item), so a fast source costs a lock per batch; at most ``depth`` items wait
    besides the batch the consumer is on. The source's exceptions reach the consumer in order,
    after the items read before them; ``close()`` (or leaving a ``with`` block) stops the thread
    and closes the source's generator in that thread, so its ``finally`` clauses run.
    """

    def __init__(self, source: Iterable[T], depth: int, name: str = "read-ahead") -> None:
        self._source = source
        self._depth = max(1, depth)
        self._waiting: list[object] = []
        self._ready = threading.Condition(threading.Lock())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: object, *, last: bool = False) -> bool:
        with self._ready:
            while not last and len(self._waiting) >= self._depth:
                if self._stop.is_set():
                    return False
                self._ready.wait(_POLL)
            if self._stop.is_set():
                return False
            self._waiting.append(item)
            if len(self._waiting) == 1:  # the consumer waits only on an empty list
                self._ready.notify()
        return True

    def _run(self) -> None:
        iterator = iter(self._source)
        try:
            for item in iterator:
                if not self._put(item):
                    return
            self._put(_END, last=True)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(_Raised(exc), last=True)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    def _take(self) -> list[object]:
        with self._ready:
            while not self._waiting:
                self._ready.wait()
            batch, self._waiting = self._waiting, []
            self._ready.notify()  # the reader may wait for room
        return batch

    def __iter__(self) -> Iterator[T]:
        while True:
            for item in self._take():
                if item is _END:
                    return
                if isinstance(item, _Raised):
                    raise item.exc
                yield item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        with self._ready:
            self._ready.notify_all()
        self._thread.join()

    def __enter__(self) -> ReadAhead[T]:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _Raised:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class OrderedWorker(Generic[T]):
    """Applies ``work`` to submitted items one at a time, in order, in a thread.

    At most ``depth`` items wait; ``submit`` blocks beyond that (back-pressure, bounded memory).
    The first exception ``work`` raises stops the worker: later items are dropped and the
    exception is raised by the next ``submit`` or by ``finish``.
    """

    def __init__(self, work: Callable[[T], None], depth: int = 2, name: str = "ordered-worker") -> None:
        self._work = work
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, depth))
        self._error: BaseException | None = None
        self._failed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _END:
                self._queue.task_done()
                return
            if not self._failed:
                try:
                    self._work(item)  # type: ignore[arg-type]
                except BaseException as exc:  # kept, raised in the submitting thread
                    self._failed = True
                    self._error = exc
            self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def submit(self, item: T) -> None:
        self._raise()
        if not self._thread.is_alive():
            raise RuntimeError("the worker has finished")
        self._queue.put(item)

    def drain(self) -> None:
        """Wait until every submitted item is done (the worker goes on); raise its exception, if any."""
        self._queue.join()
        self._raise()

    def finish(self) -> None:
        """Wait for every submitted item; raise the worker's exception, if any."""
        if self._thread.is_alive():
            self._queue.put(_END)
            self._thread.join()
        self._raise()
