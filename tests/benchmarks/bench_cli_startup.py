"""On-demand benchmark: the command line's start-up cost, in CPU seconds.

Not collected by pytest. Run it from the repository::

    python tests/benchmarks/bench_cli_startup.py [--repeat 7]

Measures, in the same run and each ``--repeat`` times (median and min printed), the user+system CPU
of fresh processes: ``python -c pass`` (the floor: the interpreter alone), ``import typer`` (the
command-line framework alone), then the floors of ``gkss sources list``: ``import typer,
sqlalchemy.orm, pydantic_settings`` (the libraries reading the store and the settings need) and
``import typer, hub.store, hub.settings`` (the hub's one store implementation and its settings, which
the command cannot do without); ``python -c "import hub.cli"``, ``gkss --help`` and ``gkss sources
list`` against a GKSS_HOME holding 5 sources (the store migrated before the first timed call).
Issue 14 sets the target: ``gkss --help`` and ``gkss sources list`` under 0.3 s of CPU; each command
is printed beside its floor, measured in the same run. Prints the date and the load average:
absolute figures mean nothing without them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET_CPU = 0.3
GKSS = [sys.executable, "-m", "hub"]


def cpu_of(command: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one run of ``command`` (its children included)."""
    before = os.times()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, timeout=300)
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{command} failed: {done.stderr.decode(errors='replace')[-2000:]}")
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each command (7)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gkss-bench-cli-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GKSS_")}
        env.update(GKSS_HOME=home, GKSS_SEARCH_URL="", GKSS_ALLOW_PRIVATE_NETWORKS="1", PYTHONPATH=str(ROOT))
        for n in range(5):
            url = f"http://127.0.0.1:9/feed-{n}.xml"
            cpu_of([*GKSS, "sources", "add", f"src-{n}", "--protocol", "feed", "--url", url], env)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            # what any command line of this shape must load: its framework, then the store's and the
            # settings' libraries (what `gkss sources list` cannot do without)
            "import typer": [sys.executable, "-c", "import typer"],
            "store libraries": [sys.executable, "-c", "import typer, sqlalchemy.orm, pydantic_settings"],
            "hub store+settings": [sys.executable, "-c", "import typer, hub.store, hub.settings"],
            "import hub.cli": [sys.executable, "-c", "import hub.cli"],
            "gkss --help": [*GKSS, "--help"],
            "gkss sources list": [*GKSS, "sources", "list"],
        }
        print(
            f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')} · load average {os.getloadavg()}"
            f" · {os.cpu_count()} CPUs"
        )
        print(f"{'command':<20} {'median CPU s':>12} {'min CPU s':>10}")
        results: dict[str, float] = {}
        for name, command in commands.items():
            samples = [cpu_of(command, env) for _ in range(max(1, options.repeat))]
            results[name] = statistics.median(samples)
            print(f"{name:<20} {results[name]:>12.3f} {min(samples):>10.3f}")
    floor = results["python -c pass"]
    ok = True
    # each command beside the floor of what it must load: typer for --help, the store for the listing
    own_floor = {"gkss --help": "import typer", "gkss sources list": "hub store+settings"}
    for name in ("gkss --help", "gkss sources list"):
        verdict = "PASS" if results[name] < TARGET_CPU else "FAIL"
        ok = ok and verdict == "PASS"
        print(
            f"{name}: {results[name]:.3f} s CPU ({results[name] / floor:.1f}x python -c pass;"
            f" {results[name] - results[own_floor[name]]:+.3f} s over its floor `{own_floor[name]}`"
            f" {results[own_floor[name]]:.3f} s), target < {TARGET_CPU} s: {verdict}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
