"""Choose the search backend from GKSS_SEARCH_URL: embedded Tantivy unless a cluster URL is given."""

from __future__ import annotations

from pathlib import Path

from hub.cluster_connection import ClusterConnection
from hub.search.base import SearchIndex

EMBEDDED_DIRECTORY = "search-index"  # the embedded index's directory in the hub's home


def _embedded(location: str, home: Path) -> SearchIndex:
    from hub.search.tantivy_index import TantivyIndex

    if location == ":memory:":
        return TantivyIndex(None)
    return TantivyIndex(Path(location) if location else home / EMBEDDED_DIRECTORY)


def open_index(
    search_url: str | None,
    home: Path,
    index_name: str = "gkss",
    connection: ClusterConnection | None = None,
    *,
    merge_segments: int | None = None,
) -> SearchIndex:
    """``None``/``""`` -> Tantivy in ``home/search-index/``; ``tantivy:///DIR`` -> Tantivy in DIR
    (``tantivy:///:memory:`` in memory); ``sqlite:///PATH`` (the former FTS5 index file) -> Tantivy in
    ``PATH`` with the suffix ``.tantivy``; ``http(s)://`` (nodes comma-separated) -> Elasticsearch or
    OpenSearch (what the URL answers, or ``connection.engine``) behind the alias ``index_name``
    (GKSS_SEARCH_INDEX), whose rebuilds are force-merged to ``merge_segments`` segments per shard
    (GKSS_SEARCH_MERGE_SEGMENTS; None: the backend's default)."""
    if not search_url:
        return _embedded("", home)
    if search_url.startswith("tantivy:///"):
        return _embedded(search_url.removeprefix("tantivy:///"), home)
    if search_url.startswith("sqlite:///"):
        path = search_url.removeprefix("sqlite:///")
        return _embedded(path if path in ("", ":memory:") else str(Path(path).with_suffix(".tantivy")), home)
    if search_url.startswith(("http://", "https://")):
        from hub.search.cluster_open import open_cluster

        # the alias GKSS_SEARCH_INDEX names
        return open_cluster(search_url, index_name, connection, merge_segments=merge_segments)
    raise ValueError(
        f"GKSS_SEARCH_URL must be tantivy:///DIR, sqlite:///PATH or an http(s) URL, got {search_url!r}"
    )
