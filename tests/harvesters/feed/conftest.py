"""The fixtures of the feed harvester tests (defined in support.py)."""

from tests.harvesters.feed.support import client, server  # noqa: F401
