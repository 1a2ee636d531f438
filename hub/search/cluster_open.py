"""Opening a cluster index: the engine's backend class, chosen by what the cluster URL answers."""

from __future__ import annotations

from hub.cluster_connection import ClusterConnection, Engine, detect_engine
from hub.search.cluster import ClusterIndex as ClusterIndexType


def index_class(engine: Engine) -> type[ClusterIndexType]:
    """The backend class of an engine."""
    if engine == "opensearch":
        from hub.search.opensearch import OpenSearchIndex

        return OpenSearchIndex
    from hub.search.elastic import ElasticsearchIndex

    return ElasticsearchIndex


def open_cluster(
    url: str, name: str, connection: ClusterConnection | None = None, *, merge_segments: int | None = None
) -> ClusterIndexType:
    """The cluster index behind alias ``name`` on the engine ``url`` runs (or the one the setting names);
    ``merge_segments``: the segments per shard a rebuild force-merges to (None: the class default)."""
    connection = connection or ClusterConnection()
    kind = index_class(detect_engine(url, connection))
    if merge_segments is None:
        return kind(url, name, connection=connection)
    return kind(url, name, connection=connection, merge_segments=merge_segments)
