"""Harvesters: one module per protocol, each yielding RawRecords lazily (a leaf package)."""

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
