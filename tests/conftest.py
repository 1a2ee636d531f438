"""Test-wide settings: sources live on 127.0.0.1 (the SSRF guard's development switch is on) and tests call
the API far faster than any client may (the per-client rate limit is off; its own tests turn it on)."""

from __future__ import annotations

import os

# Every test server is on loopback; tests of the guard itself turn it back off explicitly.
os.environ.setdefault("GKSS_ALLOW_PRIVATE_NETWORKS", "1")
os.environ.setdefault("GKSS_API_RATE", "0")


def _sleep_without_clock_nanosleep(seconds: float) -> None:
    """time.sleep for runs under libfaketime (tests/run.sh's clock step): libfaketime 0.9.10 answers
    Python's absolute clock_nanosleep with EINVAL when the monotonic clock is left real; a timed
    wait on an event (a relative timeout) sleeps the same time."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


if "faketime" in os.environ.get("LD_PRELOAD", ""):
    import threading
    import time

    time.sleep = _sleep_without_clock_nanosleep
