"""The store: the hub's truth (sources, runs, schedules, raw and normalised records, tombstones, WebSub
subscriptions) and all the SQL of those tables: everyone else calls its functions, never a session."""

from hub.store.store import BatchResult, Store

__all__ = ["BatchResult", "Store"]
