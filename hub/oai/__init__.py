"""The hub's OAI-PMH 2.0 data provider at /oai (oai_dc and the native gkss format, sets, tokens)."""

from __future__ import annotations

from hub.oai.router import oai_router

__all__ = ["oai_router"]
