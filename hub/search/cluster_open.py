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


def open_cluster(url: str, name: str, connection: ClusterConnection | None = None) -> ClusterIndexType:
    """The cluster index behind alias ``name`` on the engine ``url`` runs (or the one the setting names)."""
    connection = connection or ClusterConnection()
    return index_class(detect_engine(url, connection))(url, name, connection=connection)
