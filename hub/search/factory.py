"""Choose the search backend from GKSS_SEARCH_URL: embedded FTS5 unless a cluster URL is given."""

from __future__ import annotations

from pathlib import Path

from hub.search.base import SearchIndex
from hub.search.cluster_connection import ClusterConnection
from hub.search.sqlite_fts import SqliteFtsIndex


def open_index(
    search_url: str | None, home: Path, index_name: str = "gkss", connection: ClusterConnection | None = None
) -> SearchIndex:
    """``None``/``""`` -> FTS5 at ``home/index.sqlite``; ``sqlite:///PATH`` -> FTS5 at PATH
    (``sqlite:///:memory:`` in memory); ``http(s)://`` (nodes comma-separated) -> Elasticsearch or
    OpenSearch (what the URL answers, or ``connection.engine``) behind the alias ``index_name``
    (GKSS_SEARCH_INDEX)."""
    if not search_url:
        return SqliteFtsIndex(home / "index.sqlite")
    if search_url.startswith("sqlite:///"):
        return SqliteFtsIndex(search_url.removeprefix("sqlite:///") or home / "index.sqlite")
    if search_url.startswith(("http://", "https://")):
        from hub.search.cluster_connection import open_cluster

        return open_cluster(search_url, index_name, connection)  # the alias GKSS_SEARCH_INDEX names
    raise ValueError(f"GKSS_SEARCH_URL must be sqlite:///PATH or an http(s) URL, got {search_url!r}")
