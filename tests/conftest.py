"""Test-wide settings: sources live on 127.0.0.1 (the SSRF guard's development switch is on) and tests call
the API far faster than any client may (the per-client rate limit is off; its own tests turn it on)."""

from __future__ import annotations

import os

# Every test server is on loopback; tests of the guard itself turn it back off explicitly.
os.environ.setdefault("GKSS_ALLOW_PRIVATE_NETWORKS", "1")
os.environ.setdefault("GKSS_API_RATE", "0")
