"""How the cluster benchmark drives its clients: threads in this process, or threads in several forked
processes (each with its own client) so the driver's GIL is not what limits 32 clients on few cores;
per-call latencies in call order, percentiles, and the hub's ratios to the floors of the same run."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

Runner = Callable[[list[Callable[[], object]], int], tuple[list[float], float]]


def run_clients(calls: list[Callable[[], object]], threads: int) -> tuple[list[float], float]:
    """Run the calls on ``threads`` threads; each call's latency (s, in call order) and the wall time."""
    timings = [0.0] * len(calls)

    def timed(at: int) -> None:
        start = time.perf_counter()
        calls[at]()
        timings[at] = time.perf_counter() - start

    begin = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(timed, range(len(calls))))
    return timings, time.perf_counter() - begin


_FORKED: tuple[list[Callable[[], object]], int, Callable[[], None]] | None = None  # for run_processes


def _run_part(part: list[int]) -> list[float]:
    assert _FORKED is not None
    calls, threads, reconnect = _FORKED
    reconnect()  # a client of its own: never the parent's sockets
    return run_clients([calls[i] for i in part], threads)[0]


def run_processes(
    calls: list[Callable[[], object]], threads: int, processes: int, reconnect: Callable[[], None]
) -> tuple[list[float], float]:
    """``run_clients`` with the clients split among ``processes`` forked processes (threads/processes
    threads each, each process its own client), so the driver's own GIL is not the bottleneck."""
    global _FORKED
    import multiprocessing

    _FORKED = (calls, max(1, threads // processes), reconnect)
    parts = [list(range(p, len(calls), processes)) for p in range(processes)]
    timings = [0.0] * len(calls)
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        begin = time.perf_counter()
        for part, found in zip(parts, pool.map(_run_part, parts), strict=True):
            for at, took in zip(part, found, strict=True):
                timings[at] = took
        wall = time.perf_counter() - begin
    return timings, wall


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def latency_report(name: str, timings: list[float], wall: float) -> tuple[float, float]:
    p50, p99 = pct(timings, 0.50), pct(timings, 0.99)
    print(f"  {name:<28} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   {len(timings) / wall:8.1f} queries/s")
    return p50, p99


def compare_latency(
    runs: dict[str, list[Callable[[], object]]],
    threads: int,
    text: list[bool],
    drive: Runner,
    hubs: int = 1,
    before: Callable[[], None] = lambda: None,
) -> None:
    """Each run (the same queries; the last ``hubs`` are the hub's) after a warm-up of each and
    ``before`` (the engine's request cache emptied: no run answered from an earlier one's counts);
    p50/p99 of the whole mix and of the queries with text, and each hub run's ratios to each floor."""
    for calls in runs.values():
        drive(calls[: len(calls) // 10], threads)
    measured = {}
    for name, calls in runs.items():
        before()
        measured[name] = drive(calls, threads)
    names = list(measured)
    floors, ours = names[:-hubs], names[-hubs:]
    for subset, keep in (("whole mix", [True] * len(text)), ("queries with text", text)):
        print(f"  {subset}:")
        figures = {
            name: latency_report(name, [t for t, k in zip(timings, keep, strict=True) if k], wall)
            for name, (timings, wall) in measured.items()
        }
        for hub in ours:
            for floor in floors:
                (p50, p99), (f50, f99) = figures[hub], figures[floor]
                print(f"    {hub} / {floor}: p50 x{p50 / f50:.2f}, p99 x{p99 / f99:.2f}")
