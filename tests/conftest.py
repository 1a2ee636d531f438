"""Test-wide settings: sources in tests live on 127.0.0.1, so the SSRF guard's development switch is on."""

from __future__ import annotations

import os

# Every test server is on loopback; tests of the guard itself turn it back off explicitly.
os.environ.setdefault("GKSS_ALLOW_PRIVATE_NETWORKS", "1")
