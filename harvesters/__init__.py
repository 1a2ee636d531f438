"""Harvesters: one module per protocol, each yielding RawRecords lazily (a leaf package)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from harvesters.base import Harvester, HarvestState, SourceSpec
    from harvesters.errors import ConfigurationError, HarvestError, ProtocolError, TransientError
    from harvesters.records import RawRecord, RecordFailure

__all__ = [
    "ConfigurationError",
    "HarvestError",
    "HarvestState",
    "Harvester",
    "ProtocolError",
    "RawRecord",
    "RecordFailure",
    "SourceSpec",
    "TransientError",
]
_HOMES = {
    "Harvester": "base",
    "HarvestState": "base",
    "SourceSpec": "base",
    "ConfigurationError": "errors",
    "HarvestError": "errors",
    "ProtocolError": "errors",
    "TransientError": "errors",
    "RawRecord": "records",
    "RecordFailure": "records",
}


def __getattr__(name: str) -> Any:
    """The package's names, each imported from its module on first use: importing the protocol
    registry (for the command line) does not build the options models."""
    if name not in _HOMES:
        raise AttributeError(f"module 'harvesters' has no attribute {name!r}")
    return getattr(importlib.import_module(f"harvesters.{_HOMES[name]}"), name)
