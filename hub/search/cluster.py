"""The cluster search backends' shared body: versioned indices behind an alias, per-language analyzers.

Everything the two engines (Elasticsearch, OpenSearch) agree on lives here, reading in
``hub.search.cluster_search``; a subclass only says how its client performs each primitive operation
(``hub.search.elastic``, ``hub.search.opensearch``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

from hub.cluster_connection import ClusterConnection
from hub.search.base import FILTER_FIELDS, Capabilities
from hub.search.cluster_estimate import ESTIMATE_ABOVE, SAMPLE_PERCENT
from hub.search.cluster_mapping import (
    ANALYSIS,
    MAPPINGS,
    SAMPLE_FIELD,
    TEXT,
    TITLE_WORDS,
    document,
    index_action,
)
from hub.search.cluster_search import MAX_WINDOW, ClusterSearch
from normalizers.resource import Resource

__all__ = ["ClusterIndex", "IndexWriteError", "document"]

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.+-]*$")
# Segments per shard a rebuilt index is force-merged to before its alias swap (GKSS_SEARCH_MERGE_SEGMENTS;
# 0, the default: left as the merge policy has it). Each word of a search is looked up in every segment's
# terms of ~40 fields: one segment halves what a request costs the engine, and the benchmark's floor more
# than the hub's query (docs/scale-out.md, "One segment per shard"), so it is the operator's choice.
MERGE_SEGMENTS = 0
MERGE_TIMEOUT = 6 * 3600.0  # seconds a force merge may take (1,000,000 documents: minutes)


def primary_segments(stats: dict[str, Any], index: str) -> list[int]:
    """The searchable segments of each primary shard, read from ``_stats/segments?level=shards``."""
    shards = stats["indices"][index]["shards"]
    return [
        int(copy["segments"]["count"])
        for _, copies in sorted(shards.items(), key=lambda item: int(item[0]))
        for copy in copies
        if copy["routing"]["primary"]
    ]


class IndexWriteError(RuntimeError):
    """Documents a bulk write rejected: ``failures`` lists (id, reason) of every one, in order."""

    def __init__(self, failures: list[tuple[str, str]], written: int) -> None:
        self.failures = failures
        self.written = written
        first = "; ".join(f"{rid}: {reason}" for rid, reason in failures[:5])
        super().__init__(f"{len(failures)} document(s) not written ({written} written); first: {first}")


class ClusterIndex(ClusterSearch):
    """SearchIndex on a search cluster; ``name`` is an alias over ``<name>-v<N>-<timestamp>``.

    Writes go through the alias; ``rebuild`` loads a new versioned index and swaps the alias in one
    atomic ``_aliases`` call, so searches keep answering from the old index until the swap.
    """

    capabilities = Capabilities(highlight=True, suggest=True, deep_paging=True, cursor=True)
    engine: ClassVar[str] = ""  # "elasticsearch" or "opensearch"
    needs_rebuild = False  # True when opened over documents an older hub wrote (open_hub rebuilds it)
    # Whether every document carries its sample bucket (an index an older hub wrote does not until
    # `gkss reindex`): estimated counts need it, else searches count exactly.
    sampled = True

    def __init__(
        self,
        url: str,
        name: str = "gkss",
        *,
        shards: int = 1,
        replicas: int | None = None,
        max_result_window: int = MAX_WINDOW,
        estimate_above: int = ESTIMATE_ABOVE,
        sample_percent: int = SAMPLE_PERCENT,
        chunk_size: int = 1000,
        merge_segments: int = MERGE_SEGMENTS,
        max_chunk_bytes: int = 8 * 1024 * 1024,
        max_retries: int = 5,
        retire_after: float = 1.0,
        pool_maxsize: int = 32,
        timeout: float = 60.0,
        connection: ClusterConnection | None = None,
    ) -> None:
        if not _NAME.match(name):
            raise ValueError(f"index name must be lower-case letters, digits and _.+-, got {name!r}")
        self.name = name
        self.shards = shards
        self.replicas = replicas
        self.max_result_window = max_result_window
        self.estimate_above = estimate_above  # estimated counts: exact up to here (cluster_estimate)
        self.sample_percent = sample_percent
        self.chunk_size = chunk_size
        self.merge_segments = merge_segments  # a rebuilt index's segments per shard (0: not merged)
        self.max_chunk_bytes = max_chunk_bytes
        self.max_retries = max_retries
        self.retire_after = retire_after
        hosts = [h.strip() for h in url.split(",") if h.strip()]
        self._connect(
            hosts, timeout=timeout, pool_maxsize=pool_maxsize, connection=connection or ClusterConnection()
        )
        self._ensure_alias()

    # --- what each engine's client does (the only part that differs; reads: ClusterSearch) -------

    def _connect(
        self, hosts: list[str], *, timeout: float, pool_maxsize: int, connection: ClusterConnection
    ) -> None:
        raise NotImplementedError

    def _aliased(self, alias: str) -> list[str]:
        """The indices ``alias`` points to ([] when there is no such alias)."""
        raise NotImplementedError

    def _index_names(self, pattern: str) -> list[str]:
        raise NotImplementedError

    def _alias_exists(self, alias: str) -> bool:
        raise NotImplementedError

    def _index_exists(self, index: str) -> bool:
        raise NotImplementedError

    def _create(self, index: str, settings: dict[str, Any], mappings: dict[str, Any]) -> None:
        raise NotImplementedError

    def _put_mapping(self, index: str, properties: dict[str, Any]) -> None:
        raise NotImplementedError

    def _put_settings(self, index: str, settings: dict[str, Any]) -> None:
        raise NotImplementedError

    def _update_aliases(self, actions: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def _delete_index(self, index: str) -> None:
        """Delete ``index``; a missing one is no error."""
        raise NotImplementedError

    def _health(self, index: str | None, status: str, timeout: str, request_timeout: float) -> dict[str, Any]:
        raise NotImplementedError

    def _refresh(self, index: str) -> None:
        raise NotImplementedError

    def _force_merge(self, index: str, segments: int, request_timeout: float) -> None:
        """Merge each shard of ``index`` down to at most ``segments`` segments; returns when done."""
        raise NotImplementedError

    def _segment_counts(self, index: str) -> list[int]:
        """The searchable segments of each primary shard of ``index``."""
        raise NotImplementedError

    def _streaming_bulk(
        self, actions: Iterable[dict[str, Any]], **options: Any
    ) -> Iterable[tuple[bool, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    # --- versioned indices and the alias -----------------------------------------------------

    def physical_indices(self) -> list[str]:
        """The indices the alias points to now (one, except for a moment during a failed swap)."""
        return sorted(self._aliased(self.name))

    def versions(self) -> list[str]:
        """Every versioned index of this name, aliased or not, oldest first."""
        pattern = re.compile(rf"^{re.escape(self.name)}-v(\d+)-\d+$")
        names = self._index_names(f"{self.name}-v*")
        found = [(int(m.group(1)), n) for n in names if (m := pattern.match(n))]
        return [n for _, n in sorted(found)]

    def _create_version(self, *, loading: bool = False) -> str:
        existing = self.versions()
        last = int(existing[-1].split("-v")[-1].split("-")[0]) if existing else 0
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        new = f"{self.name}-v{last + 1}-{stamp}"
        settings: dict[str, Any] = {
            "number_of_shards": self.shards,
            "max_result_window": self.max_result_window,
            "analysis": ANALYSIS,
        }
        if self.replicas is not None:
            settings["number_of_replicas"] = self.replicas
        if loading:
            settings["refresh_interval"] = "-1"
        self._create(new, {"index": settings}, MAPPINGS)
        return new

    def _ensure_alias(self) -> None:
        if self._alias_exists(self.name):
            # Fields added since the index was made (mappings only grow); `gkss reindex` fills them.
            added: dict[str, Any] = {field: MAPPINGS["properties"][field] for field in FILTER_FIELDS}
            # language sub-fields added to LANGUAGE_ANALYZERS since (issue 19)
            added.update({group: MAPPINGS["properties"][group] for group in ("title", "description")})
            added["sort_time"] = MAPPINGS["properties"]["sort_time"]  # the date order's moment
            added[SAMPLE_FIELD] = MAPPINGS["properties"][SAMPLE_FIELD]  # estimated counts' sample
            for field in (TEXT, TITLE_WORDS):  # what words match and titles rank on (issue 16)
                added[field] = MAPPINGS["properties"][field]
            self._put_mapping(self.name, added)
            self.needs_rebuild = self._without("sort_time", having="sort_date")
            self.sampled = not self._without(SAMPLE_FIELD)
            self.per_language = not self._without(TITLE_WORDS, having="title_exact")
            return
        if self._index_exists(self.name):
            raise RuntimeError(f"{self.name!r} is a concrete index, not an alias; rename or delete it first")
        new = self._create_version()
        self._update_aliases([{"add": {"index": new, "alias": self.name}}])
        targets = self.physical_indices()
        if len(targets) > 1 and new != targets[0]:  # another process created one at the same moment
            self._update_aliases([{"remove_index": {"index": new}}])

    def _without(self, field: str, having: str | None = None) -> bool:
        """Whether the index holds documents (with ``having``) that lack ``field``: written by an older
        hub. Dated documents without the publication moment the date order reads make the hub rebuild
        the index when it opens; documents without a sample bucket make it count exactly."""
        filters = [{"exists": {"field": having}}] if having else []
        body = {"size": 0, "track_total_hits": 1, "query": {"bool": {
            "filter": filters, "must_not": [{"exists": {"field": field}}],
        }}}  # fmt: skip
        total = self._raw_search(self.name, body)["hits"]["total"]
        return int(total["value"] if isinstance(total, dict) else total) > 0

    def _swap(self, old: list[str], new: str) -> None:
        actions: list[dict[str, Any]] = [{"remove": {"index": o, "alias": self.name}} for o in old]
        actions.append({"add": {"index": new, "alias": self.name}})
        self._update_aliases(actions)

    def _retire(self, old: list[str], grace: float) -> None:
        if old and grace > 0:
            time.sleep(grace)  # let searches that resolved the alias before the swap finish
        for index in old:
            self._delete_index(index)

    def _wait_ready(self, index: str) -> None:
        # "request_timeout" is the HTTP timeout; "timeout" the server-side wait
        if self._health(index, "green", "30s", 45).get("timed_out"):
            self._health(index, "yellow", "60s", 75)

    def rebuild(self, resources: Iterable[Resource]) -> int:
        """Load a new versioned index, force-merge it to ``merge_segments`` segments per shard, swap the
        alias atomically, delete the old index; zero downtime.

        On any error (including rejected documents) the new index is deleted and the old one keeps
        serving. Writes other processes make through the alias during the load land in the old index;
        run ``gkss index check --repair`` afterwards if writers were active.
        """
        old = self.physical_indices()
        new = self._create_version(loading=True)
        try:
            written = self._bulk(new, map(index_action, resources))
            self._put_settings(new, {"index": {"refresh_interval": None}})
            self._refresh(new)
            self._merge(new, self.merge_segments)
            self._wait_ready(new)
            self._swap(old, new)
        except BaseException:
            self._delete_index(new)
            raise
        self.needs_rebuild = False
        self.sampled = self.per_language = True
        self._retire(old, self.retire_after)
        return written

    def _merge(self, index: str, segments: int) -> None:
        if segments > 0:  # the whole load in ``segments`` segments per shard, visible before the swap
            self._force_merge(index, segments, MERGE_TIMEOUT)
            self._refresh(index)

    def merge(self, segments: int | None = None) -> None:
        """Force-merge the indices behind the alias to ``segments`` per shard (default
        ``merge_segments``), as ``rebuild`` does to a new index before its swap."""
        for index in self.physical_indices():
            self._merge(index, self.merge_segments if segments is None else segments)

    def segment_counts(self) -> list[int]:
        """The searchable segments of each primary shard behind the alias."""
        return [n for index in self.physical_indices() for n in self._segment_counts(index)]

    def drop(self) -> None:
        """Delete the alias and every versioned index of this name."""
        for index in sorted(set(self.physical_indices()) | set(self.versions())):
            self._delete_index(index)

    # --- writing -------------------------------------------------------------------------------

    def _bulk(self, index: str, actions: Iterable[dict[str, Any]], *, missing_ok: bool = False) -> int:
        """Stream actions in chunks (retrying 429s with backoff); IndexWriteError after the batch."""
        done = 0
        failures: list[tuple[str, str]] = []
        for ok, item in self._streaming_bulk(
            ({**action, "_index": index} for action in actions),
            chunk_size=self.chunk_size,
            max_chunk_bytes=self.max_chunk_bytes,
            raise_on_error=False,
            max_retries=self.max_retries,
            initial_backoff=1,
            max_backoff=30,
        ):
            info = next(iter(item.values()))
            if ok and info.get("result") != "not_found":
                done += 1
            elif not ok and not (missing_ok and info.get("status") == 404):
                error = info.get("error")
                reason = (
                    f"{error.get('type')}: {error.get('reason')}" if isinstance(error, dict) else str(error)
                )
                failures.append((str(info.get("_id")), reason))
        if failures:
            raise IndexWriteError(failures, done)
        return done

    def add(self, resources: Iterable[Resource]) -> int:
        return self._bulk(self.name, map(index_action, resources))

    def delete(self, ids: Iterable[str]) -> int:
        actions = ({"_op_type": "delete", "_id": rid} for rid in dict.fromkeys(ids))
        return self._bulk(self.name, actions, missing_ok=True)

    def refresh(self) -> None:
        self._refresh(self.name)

    def reset(self) -> None:
        """Point the alias at a new empty index and delete the old one."""
        old = self.physical_indices()
        new = self._create_version()
        self._swap(old, new)
        self.sampled = self.per_language = True
        self._retire(old, 0.0)
