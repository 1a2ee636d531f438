"""The run's background threads: the read-ahead hands items over in order, then the source's error."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from hub.background import OrderedWorker, ReadAhead


def test_read_ahead_yields_every_item_in_order_with_a_small_depth() -> None:
    with ReadAhead(iter(range(10_000)), depth=7) as items:
        assert list(items) == list(range(10_000))


def test_read_ahead_raises_the_source_error_after_the_items_read_before_it() -> None:
    def source() -> Iterator[int]:
        yield from range(5)
        raise ValueError("broken page")

    seen: list[int] = []
    with ReadAhead(source(), depth=2) as items, pytest.raises(ValueError, match="broken page"):
        for item in items:
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_read_ahead_close_stops_the_reader_and_closes_the_source_in_its_thread() -> None:
    closed = threading.Event()
    produced: list[int] = []

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                produced.append(n)
                yield n
                n += 1
        finally:
            closed.set()

    ahead = ReadAhead(endless(), depth=3)
    first = next(iter(ahead))
    ahead.close()
    assert first == 0
    assert closed.is_set()
    assert len(produced) <= 3 + 3 + 1  # the batch taken, the depth waiting, one blocked in put


def test_ordered_worker_applies_items_in_order_and_raises_the_first_error() -> None:
    done: list[int] = []

    def work(item: int) -> None:
        if item == 3:
            raise RuntimeError("store down")
        done.append(item)

    worker: OrderedWorker[int] = OrderedWorker(work, depth=2)
    for item in range(3):
        worker.submit(item)
    worker.drain()
    assert done == [0, 1, 2]
    worker.submit(3)
    with pytest.raises(RuntimeError, match="store down"):
        worker.finish()
