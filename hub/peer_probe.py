"""Probing peer hubs as this hub: its identity signs, its outbound guard checks every request."""

from __future__ import annotations

import asyncio

from federation.probe import probe_all
from hub.context import Hub
from hub.identity import identity_of


def probe_peers(hub: Hub, only: str | None = None, stale_after: float | None = None) -> dict[str, bool]:
    """Probe peers now as this hub, through its outbound guard (see ``federation.probe.probe_all``)."""
    identity = identity_of(hub.settings)
    guard = hub.settings.outbound_guard()
    return asyncio.run(probe_all(hub.store, identity, only, stale_after, guard=guard))
