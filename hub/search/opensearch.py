"""The OpenSearch backend: the shared cluster index spoken through ``opensearch-py``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import orjson
from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import NotFoundError
from opensearchpy.serializer import JSONSerializer

from hub.cluster_connection import ClientNames, ClusterConnection
from hub.search.cluster import ClusterIndex, IndexWriteError, document, primary_segments
from hub.search.cluster_search import IndexReadError

__all__ = ["IndexReadError", "IndexWriteError", "OpenSearchIndex", "document"]


class _OrjsonReading(JSONSerializer):
    """opensearch-py's JSON serializer, reading answers with orjson (about twice as fast as json)."""

    def loads(self, s: str) -> Any:
        return orjson.loads(s)


_MISSING_OK = {"ignore_unavailable": "true"}
_NAMES = ClientNames(timeout="timeout", pool="pool_maxsize", auth="http_auth", api_key_header=True)


class OpenSearchIndex(ClusterIndex):
    """SearchIndex on an OpenSearch cluster (see ``ClusterIndex``)."""

    engine: ClassVar[str] = "opensearch"
    _client: OpenSearch

    def _connect(
        self, hosts: list[str], *, timeout: float, pool_maxsize: int, connection: ClusterConnection
    ) -> None:
        options = connection.client_options(_NAMES, timeout=timeout, pool=pool_maxsize)
        self._client = OpenSearch(hosts=hosts, serializer=_OrjsonReading(), **options)

    @property
    def client(self) -> OpenSearch:
        """The underlying client (for operations tooling and tests)."""
        return self._client

    def _aliased(self, alias: str) -> list[str]:
        try:
            return list(self._client.indices.get_alias(name=alias))
        except NotFoundError:
            return []

    def _index_names(self, pattern: str) -> list[str]:
        return list(self._client.indices.get(index=pattern, params={"allow_no_indices": "true"}))

    def _alias_exists(self, alias: str) -> bool:
        return bool(self._client.indices.exists_alias(name=alias))

    def _index_exists(self, index: str) -> bool:
        return bool(self._client.indices.exists(index=index))

    def _create(self, index: str, settings: dict[str, Any], mappings: dict[str, Any]) -> None:
        self._client.indices.create(index=index, body={"settings": settings, "mappings": mappings})

    def _put_mapping(self, index: str, properties: dict[str, Any]) -> None:
        self._client.indices.put_mapping(index=index, body={"properties": properties})

    def _put_settings(self, index: str, settings: dict[str, Any]) -> None:
        self._client.indices.put_settings(index=index, body=settings)

    def _update_aliases(self, actions: list[dict[str, Any]]) -> None:
        self._client.indices.update_aliases(body={"actions": actions})

    def _delete_index(self, index: str) -> None:
        self._client.indices.delete(index=index, params=_MISSING_OK)

    def _health(self, index: str | None, status: str, timeout: str, request_timeout: float) -> dict[str, Any]:
        wait = {"wait_for_status": status, "timeout": timeout, "request_timeout": request_timeout}
        answer: dict[str, Any] = self._client.cluster.health(index=index, params=wait)
        return answer

    def _refresh(self, index: str) -> None:
        self._client.indices.refresh(index=index)

    def _force_merge(self, index: str, segments: int, request_timeout: float) -> None:
        wait = {"max_num_segments": segments, "request_timeout": request_timeout}
        self._client.indices.forcemerge(index=index, params=wait)

    def _segment_counts(self, index: str) -> list[int]:
        stats = self._client.indices.stats(index=index, metric="segments", params={"level": "shards"})
        return primary_segments(stats, index)

    def _raw_search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = self._client.search(index=index, body=body)
        return answer

    def _raw_msearch(self, index: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lines = [line for body in bodies for line in ({"index": index}, body)]
        return list(self._client.msearch(body=lines)["responses"])

    def _get_source(self, index: str, id: str, includes: str) -> dict[str, Any] | None:
        try:
            answer = self._client.get(index=index, id=id, params={"_source_includes": includes})
        except NotFoundError:
            return None
        source: dict[str, Any] = answer["_source"]
        return source

    def _mget(self, index: str, ids: list[str], includes: str) -> list[dict[str, Any]]:
        answer = self._client.mget(index=index, body={"ids": ids}, params={"_source_includes": includes})
        return list(answer["docs"])

    def _count(self, index: str) -> int:
        return int(self._client.count(index=index)["count"])

    def _streaming_bulk(
        self, actions: Iterable[dict[str, Any]], **options: Any
    ) -> Iterable[tuple[bool, Any]]:
        bulk: Iterable[tuple[bool, Any]] = helpers.streaming_bulk(self._client, actions, **options)
        return bulk

    def close(self) -> None:
        self._client.close()
