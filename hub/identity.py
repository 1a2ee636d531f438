"""This hub's node identity (federation's Ed25519 key pair), loaded once per GKSS_HOME and node id."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from federation.identity import NodeIdentity, load_identity
from hub.settings import Settings


@cache
def _identity(home: Path, node_id: str | None) -> NodeIdentity:
    return load_identity(home, node_id)


def identity_of(settings: Settings) -> NodeIdentity:
    """This hub's identity (GKSS_NODE_ID, else the id kept in GKSS_HOME/node-id)."""
    return _identity(settings.home.resolve(), settings.node_id)
