"""The store: the hub's truth (sources, runs, raw and normalised records, tombstones)."""

from hub.store.store import BatchResult, Store

__all__ = ["BatchResult", "Store"]
