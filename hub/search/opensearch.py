"""The cluster search backend: OpenSearch with per-language analyzers, versioned indices behind an alias."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import NotFoundError

from hub.search.base import EXTRA_FILTER_FIELDS, FACET_FIELDS, Capabilities, Hit, SearchPage, SearchQuery
from hub.search.opensearch_mapping import (
    ANALYSIS,
    COMPLETION_RESERVED,
    KEYWORD,
    MAPPINGS,
    document,
    index_action,
    json_text,
)
from hub.search.opensearch_query import (
    after_clause,
    aggs_of,
    build_query,
    facets_of,
    highlight_clause,
    hits_of,
    sort_clause,
    total_of,
)
from normalizers.resource import Resource

__all__ = ["IndexReadError", "IndexWriteError", "OpenSearchIndex", "document"]

FACET_SIZE = 200
MAX_WINDOW = 10_000  # from+size beyond this pages with search_after
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.+-]*$")


class IndexWriteError(RuntimeError):
    """Documents a bulk write rejected: ``failures`` lists (id, reason) of every one, in order."""

    def __init__(self, failures: list[tuple[str, str]], written: int) -> None:
        self.failures = failures
        self.written = written
        first = "; ".join(f"{rid}: {reason}" for rid, reason in failures[:5])
        super().__init__(f"{len(failures)} document(s) not written ({written} written); first: {first}")


class IndexReadError(RuntimeError):
    """A search kept failing on some shards; the hub never serves silently partial results."""


class OpenSearchIndex:
    """SearchIndex on an OpenSearch cluster; ``name`` is an alias over ``<name>-v<N>-<timestamp>``.

    Writes go through the alias; ``rebuild`` loads a new versioned index and swaps the alias in one
    atomic ``_aliases`` call, so searches keep answering from the old index until the swap.
    """

    capabilities = Capabilities(highlight=True, suggest=True, deep_paging=True, cursor=True)

    def __init__(
        self,
        url: str,
        name: str = "gkss",
        *,
        shards: int = 1,
        replicas: int | None = None,
        max_result_window: int = MAX_WINDOW,
        chunk_size: int = 1000,
        max_chunk_bytes: int = 8 * 1024 * 1024,
        max_retries: int = 5,
        retire_after: float = 1.0,
        pool_maxsize: int = 32,
        timeout: float = 60.0,
    ) -> None:
        if not _NAME.match(name):
            raise ValueError(f"index name must be lower-case letters, digits and _.+-, got {name!r}")
        self.name = name
        self.shards = shards
        self.replicas = replicas
        self.max_result_window = max_result_window
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
        self.max_retries = max_retries
        self.retire_after = retire_after
        hosts = [h.strip() for h in url.split(",") if h.strip()]
        self._client = OpenSearch(
            hosts=hosts, timeout=timeout, max_retries=3, retry_on_timeout=True, pool_maxsize=pool_maxsize
        )
        self._ensure_alias()

    @property
    def client(self) -> OpenSearch:
        """The underlying client (for operations tooling and tests)."""
        return self._client

    # --- versioned indices and the alias -----------------------------------------------------

    def physical_indices(self) -> list[str]:
        """The indices the alias points to now (one, except for a moment during a failed swap)."""
        try:
            answer = self._client.indices.get_alias(name=self.name)
        except NotFoundError:
            return []
        return sorted(answer)

    def versions(self) -> list[str]:
        """Every versioned index of this name, aliased or not, oldest first."""
        pattern = re.compile(rf"^{re.escape(self.name)}-v(\d+)-\d+$")
        names = self._client.indices.get(index=f"{self.name}-v*", params={"allow_no_indices": "true"})
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
        self._client.indices.create(index=new, body={"settings": {"index": settings}, "mappings": MAPPINGS})
        return new

    def _ensure_alias(self) -> None:
        if self._client.indices.exists_alias(name=self.name):
            # Fields added since the index was made (mappings only grow); `gkss reindex` fills them.
            added: dict[str, Any] = {field: KEYWORD for field in EXTRA_FILTER_FIELDS}
            # issue 19: language sub-fields added to LANGUAGE_ANALYZERS since (built-in analyzers only)
            added.update({group: MAPPINGS["properties"][group] for group in ("title", "description")})
            self._client.indices.put_mapping(index=self.name, body={"properties": added})
            return
        if self._client.indices.exists(index=self.name):
            raise RuntimeError(f"{self.name!r} is a concrete index, not an alias; rename or delete it first")
        new = self._create_version()
        self._client.indices.update_aliases(body={"actions": [{"add": {"index": new, "alias": self.name}}]})
        targets = self.physical_indices()
        if len(targets) > 1 and new != targets[0]:  # another process created one at the same moment
            self._client.indices.update_aliases(body={"actions": [{"remove_index": {"index": new}}]})

    def _swap(self, old: list[str], new: str) -> None:
        actions: list[dict[str, Any]] = [{"remove": {"index": o, "alias": self.name}} for o in old]
        actions.append({"add": {"index": new, "alias": self.name}})
        self._client.indices.update_aliases(body={"actions": actions})

    def _retire(self, old: list[str], grace: float) -> None:
        if old and grace > 0:
            time.sleep(grace)  # let searches that resolved the alias before the swap finish
        for index in old:
            self._client.indices.delete(index=index, params={"ignore_unavailable": "true"})

    def _wait_ready(self, index: str) -> None:
        # "request_timeout" is the HTTP timeout; "timeout" (a query parameter here) the server-side wait
        wait = {"wait_for_status": "green", "timeout": "30s", "request_timeout": 45}
        if self._client.cluster.health(index=index, params=wait).get("timed_out"):
            wait = {"wait_for_status": "yellow", "timeout": "60s", "request_timeout": 75}
            self._client.cluster.health(index=index, params=wait)

    def rebuild(self, resources: Iterable[Resource]) -> int:
        """Load a new versioned index, swap the alias atomically, delete the old index; zero downtime.

        On any error (including rejected documents) the new index is deleted and the old one keeps
        serving. Writes other processes make through the alias during the load land in the old index;
        run ``gkss index check --repair`` afterwards if writers were active.
        """
        old = self.physical_indices()
        new = self._create_version(loading=True)
        try:
            written = self._bulk(new, map(index_action, resources))
            self._client.indices.put_settings(index=new, body={"index": {"refresh_interval": None}})
            self._client.indices.refresh(index=new)
            self._wait_ready(new)
            self._swap(old, new)
        except BaseException:
            self._client.indices.delete(index=new, params={"ignore_unavailable": "true"})
            raise
        self._retire(old, self.retire_after)
        return written

    def drop(self) -> None:
        """Delete the alias and every versioned index of this name."""
        for index in sorted(set(self.physical_indices()) | set(self.versions())):
            self._client.indices.delete(index=index, params={"ignore_unavailable": "true"})

    # --- writing -------------------------------------------------------------------------------

    def _bulk(self, index: str, actions: Iterable[dict[str, Any]], *, missing_ok: bool = False) -> int:
        """Stream actions in chunks (retrying 429s with backoff); IndexWriteError after the batch."""
        done = 0
        failures: list[tuple[str, str]] = []
        for ok, item in helpers.streaming_bulk(
            self._client,
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
        self._client.indices.refresh(index=self.name)

    def reset(self) -> None:
        """Point the alias at a new empty index and delete the old one."""
        old = self.physical_indices()
        new = self._create_version()
        self._swap(old, new)
        self._retire(old, 0.0)

    def close(self) -> None:
        self._client.close()

    # --- reading -------------------------------------------------------------------------------

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        for delay in (0.2, 0.5, 1.0, None):
            answer: dict[str, Any] = self._client.search(index=self.name, body=body)
            failed = int(answer.get("_shards", {}).get("failed", 0))
            if not failed:
                return answer
            if delay is None:
                raise IndexReadError(f"search failed on {failed} shard(s) of {self.name!r}")
            time.sleep(delay)
        raise AssertionError("unreachable")

    def search(self, query: SearchQuery) -> SearchPage:
        dsl, words = build_query(query)
        offset, size = max(0, query.offset), max(0, query.size)
        body: dict[str, Any] = {"query": dsl, "sort": sort_clause(query.sort), "track_total_hits": True}
        if query.facets:
            body["aggs"] = {f: {"terms": {"field": f, "size": FACET_SIZE}} for f in FACET_FIELDS}
        page: dict[str, Any] = {"size": size, "_source": ["resource"], "track_scores": True}
        if words:
            page["highlight"] = highlight_clause(words)
        if query.after is not None:  # keyset paging: never deeper than one page
            answer = self._search({**body, **page, "search_after": list(query.after)})
            return SearchPage(
                total=total_of(answer), hits=hits_of(answer), facets=facets_of(answer) if query.facets else {}
            )
        if offset + size <= self.max_result_window:
            answer = self._search({**body, **page, "from": offset})
            return SearchPage(
                total=total_of(answer), hits=hits_of(answer), facets=facets_of(answer) if query.facets else {}
            )
        return self._deep_page(body, page, offset)

    def _deep_page(self, body: dict[str, Any], page: dict[str, Any], offset: int) -> SearchPage:
        """Skip to ``offset`` (sort values only), then read the page, with search_after on the stable
        sort (score or date, then id) in steps no larger than the result window: never scroll."""
        head = self._search({"query": body["query"], "size": 0, "track_total_hits": True, **aggs_of(body)})
        total = total_of(head)
        window = min(self.max_result_window, MAX_WINDOW)
        base = {"query": body["query"], "sort": body["sort"], "track_total_hits": False}
        after: list[Any] | None = None
        found: list[Hit] = []
        skip, wanted = min(offset, total), min(page["size"], max(0, total - offset))
        while skip or len(found) < wanted:
            extra = {"_source": False} if skip else page
            size = min(window, skip or wanted - len(found))
            answer = self._search({**base, **extra, "size": size, **after_clause(after)})
            hits = answer["hits"]["hits"]
            if not hits:
                break
            after = hits[-1]["sort"]
            if skip:
                skip -= len(hits)
            else:
                found.extend(hits_of(answer))
        return SearchPage(total=total, hits=found, facets=facets_of(head) if "aggs" in body else {})

    def suggest(self, prefix: str, size: int = 10) -> list[str]:
        """Titles that start with ``prefix`` (accent- and case-insensitive), best first."""
        cleaned = COMPLETION_RESERVED.sub(" ", json_text(prefix)).lstrip()
        if not cleaned.strip() or size <= 0:
            return []
        completion = {"field": "suggest", "size": size, "skip_duplicates": True}
        suggest = {"titles": {"prefix": cleaned[:100], "completion": completion}}
        answer = self._client.search(index=self.name, body={"_source": ["suggest.input"], "suggest": suggest})
        found: list[str] = []
        for option in answer["suggest"]["titles"][0]["options"]:
            text = str(option["text"])  # cut at max_input_length: give the whole title back
            inputs = option.get("_source", {}).get("suggest", {}).get("input", [])
            full = next((str(t) for t in inputs if str(t).startswith(text)), text)
            if full not in found:
                found.append(full)
        return found

    def get(self, id: str) -> Resource | None:
        try:
            answer = self._client.get(index=self.name, id=id, params={"_source_includes": "resource"})
        except NotFoundError:
            return None
        return Resource.model_validate(answer["_source"]["resource"])

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The indexed content hash of each of ``ids`` that the index holds (one request)."""
        if not ids:
            return {}
        answer = self._client.mget(
            index=self.name, body={"ids": list(ids)}, params={"_source_includes": "content_hash"}
        )
        return {d["_id"]: str(d["_source"]["content_hash"]) for d in answer["docs"] if d.get("found")}

    def count(self) -> int:
        return int(self._client.count(index=self.name)["count"])

    def ids(self, batch: int = 5000) -> Iterator[str]:
        """Every id, in id order, paged with search_after."""
        after: list[Any] | None = None
        batch = min(batch, self.max_result_window)
        while True:
            body = {"sort": [{"id": "asc"}], "size": batch, "_source": False, **after_clause(after)}
            hits = self._search(body)["hits"]["hits"]
            for hit in hits:
                yield str(hit["_id"])
            if len(hits) < batch:
                return
            after = hits[-1]["sort"]
