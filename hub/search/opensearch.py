"""The cluster search backend: OpenSearch with per-language analyzers, versioned indices behind an alias."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from opensearchpy import OpenSearch, helpers
from opensearchpy.exceptions import NotFoundError

from hub.search.base import (
    EXTRA_FILTER_FIELDS,
    FACET_FIELDS,
    FILTER_FIELDS,
    Capabilities,
    Hit,
    SearchPage,
    SearchQuery,
    filter_terms,
)
from normalizers.resource import Resource

# Title/description sub-field per UN language; OpenSearch ships smartcn only as a plugin, so zh uses cjk.
LANGUAGE_ANALYZERS: dict[str, str] = {
    "en": "english", "fr": "french", "es": "spanish", "ru": "russian", "ar": "arabic", "zh": "cjk",
}  # fmt: skip
OTHER = "other"  # every other language and "und": standard tokenizer + lowercase + asciifolding
FACET_SIZE = 200
MAX_TERMS = 32  # query words used; the rest of a (hostile) giant query is dropped, never an error
MAX_WINDOW = 10_000  # from+size beyond this pages with search_after
_WORDY = re.compile(r"\w", re.UNICODE)
_RESERVED = re.compile(r"[\x00\x1e\x1f]")  # characters the completion field refuses
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.+-]*$")
_SEARCH_FIELDS = ["title.*^5", "description.*^1.5", "subjects^2"]
_HIGHLIGHT_FIELDS = ["title.*", "description.*"]


class IndexWriteError(RuntimeError):
    """Documents a bulk write rejected: ``failures`` lists (id, reason) of every one, in order."""

    def __init__(self, failures: list[tuple[str, str]], written: int) -> None:
        self.failures = failures
        self.written = written
        first = "; ".join(f"{rid}: {reason}" for rid, reason in failures[:5])
        super().__init__(f"{len(failures)} document(s) not written ({written} written); first: {first}")


class IndexReadError(RuntimeError):
    """A search kept failing on some shards; the hub never serves silently partial results."""


def _text_field(analyzer: str, copy_to: list[str]) -> dict[str, Any]:
    return {"type": "text", "analyzer": analyzer, "copy_to": copy_to}


def _language_group(copy_to: list[str]) -> dict[str, Any]:
    """One text field per UN language plus ``other``; offsets indexed so highlighting reads postings."""
    fields = {lang: _text_field(analyzer, copy_to) for lang, analyzer in LANGUAGE_ANALYZERS.items()}
    fields[OTHER] = _text_field("folded", copy_to)
    return {"properties": {k: {**v, "index_options": "offsets"} for k, v in fields.items()}}


_KEYWORD: dict[str, Any] = {"type": "keyword"}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": _KEYWORD,
        **{field: _KEYWORD for field in FILTER_FIELDS},
        "sort_date": {"type": "date", "format": "strict_date"},
        "title": _language_group(["all_text", "title_exact"]),
        "description": _language_group(["all_text"]),
        "subjects": _text_field("folded", ["all_text"]),
        "all_text": {"type": "text", "analyzer": "folded"},
        "title_exact": {"type": "keyword", "normalizer": "folded", "ignore_above": 256},
        "suggest": {"type": "completion", "analyzer": "folded", "max_input_length": 100},
        "content_hash": _KEYWORD,
        "resource": {"type": "object", "enabled": False},
    },
}
# "folded" is NFKD-and-drop-marks for the scripts of the corpus (what FTS5's unicode61 does): Latin
# through asciifolding; Arabic hamza carriers and harakat, Cyrillic й/ё and stray combining marks by
# char filters.
_FOLD_LETTERS = [
    "ئ => ي", "ؤ => و", "أ => ا", "إ => ا", "آ => ا", "ٱ => ا", "й => и", "Й => И", "ё => е", "Ё => Е",
]  # fmt: skip
_MARKS = "[\u0300-\u036f\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06ed]"
_CHAR_FILTERS = ["fold_letters", "fold_marks"]
ANALYSIS: dict[str, Any] = {
    "char_filter": {
        "fold_letters": {"type": "mapping", "mappings": _FOLD_LETTERS},
        "fold_marks": {"type": "pattern_replace", "pattern": _MARKS, "replacement": ""},
    },
    "analyzer": {
        "folded": {
            "type": "custom",
            "char_filter": _CHAR_FILTERS,
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding"],
        }
    },
    "normalizer": {
        "folded": {"type": "custom", "char_filter": _CHAR_FILTERS, "filter": ["lowercase", "asciifolding"]}
    },
}


def _by_language(texts: dict[str, str]) -> dict[str, str | list[str]]:
    grouped: dict[str, list[str]] = {}
    for tag, text in texts.items():
        primary = tag.split("-", 1)[0].lower()
        grouped.setdefault(primary if primary in LANGUAGE_ANALYZERS else OTHER, []).append(text)
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


def document(resource: Resource) -> dict[str, Any]:
    """The indexed document of a Resource (the Resource itself rides along, unindexed)."""
    doc: dict[str, Any] = {
        "id": resource.id,
        "type": resource.type,
        "source": resource.source,
        "country": resource.countries,
        "target": resource.gbf_targets,
        "language": list(dict.fromkeys([*resource.languages, *(k for k in resource.title if k != "und")])),
        "title": _by_language(resource.title),
        "description": _by_language(resource.description),
        "subjects": resource.subjects,
        "content_hash": resource.content_hash(),
        "resource": resource.model_dump(mode="json"),
    }
    titles = [t for t in dict.fromkeys(_RESERVED.sub(" ", t).strip() for t in resource.title.values()) if t]
    if titles:
        doc["suggest"] = {"input": titles}
    year = resource.year()
    if year is not None:
        doc["year"] = str(year)
    doc.update({field: values for field, values in filter_terms(resource).items() if values})
    day = resource.display_date()
    if day:
        doc["sort_date"] = day
    return doc


def _clean(text: str) -> str:
    """Text JSON can carry: lone surrogates become U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def _index_action(resource: Resource) -> dict[str, Any]:
    return {"_op_type": "index", "_id": resource.id, "_source": document(resource)}


def _words(text: str) -> list[tuple[str, bool]]:
    """The searchable words of a query as (word, is_prefix); like FTS5's reading, capped at MAX_TERMS."""
    words: list[tuple[str, bool]] = []
    for token in text.split():
        core = token.rstrip("*")
        if _WORDY.search(core):
            words.append((core, token.endswith("*")))
    return words[:MAX_TERMS]


def build_query(query: SearchQuery) -> tuple[dict[str, Any], list[tuple[str, bool]]]:
    """The query DSL of a SearchQuery: every word must match (folded, or stemmed per language)."""
    words = _words(_clean(query.text))
    must: list[dict[str, Any]] = []
    for word, prefix in words:
        exact_kind = "match_phrase_prefix" if prefix else "match_phrase"
        options: list[dict[str, Any]] = [{exact_kind: {"all_text": {"query": word}}}]
        if not prefix:
            options.append(
                {"multi_match": {"query": word, "fields": _SEARCH_FIELDS, "operator": "and", "lenient": True}}
            )
        must.append({"bool": {"should": options, "minimum_should_match": 1}})
    pairs: list[tuple[str, Sequence[object]]] = [(name, getattr(query, name)) for name in FILTER_FIELDS]
    filters: list[dict[str, Any]] = [
        {"terms": {name: [_clean(str(v)) for v in values]}} for name, values in pairs if values
    ]
    if query.date_from or query.date_until:
        bounds = {"gte": query.date_from, "lte": query.date_until}
        filters.append({"range": {"sort_date": {k: v for k, v in bounds.items() if v}}})
    boolean: dict[str, Any] = {"must": must, "filter": filters}
    whole = " ".join(word for word, _ in words)
    if must and len(whole) <= 1000:  # score only: the exact title first, then title phrases
        boolean["should"] = [
            {"term": {"title_exact": {"value": whole, "boost": 20.0}}},
            {"multi_match": {"query": whole, "type": "phrase", "fields": ["title.*"], "boost": 3.0}},
        ]
    return {"bool": boolean}, words


def _sort(kind: str) -> list[dict[str, Any]]:
    by_date: list[dict[str, Any]] = [{"sort_date": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    return by_date if kind == "date" else [{"_score": "desc"}, *by_date]


def _highlight(words: list[tuple[str, bool]]) -> dict[str, Any]:
    kinds = {True: "phrase_prefix", False: "best_fields"}
    shoulds = [{"multi_match": {"query": w, "fields": _HIGHLIGHT_FIELDS, "type": kinds[p]}} for w, p in words]
    return {
        "pre_tags": ["<em>"],
        "post_tags": ["</em>"],
        "highlight_query": {"bool": {"should": shoulds}},
        "fields": {
            "title.*": {"number_of_fragments": 0},
            "description.*": {"fragment_size": 160, "number_of_fragments": 2},
        },
    }


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
            added = {field: _KEYWORD for field in EXTRA_FILTER_FIELDS}
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
            written = self._bulk(new, map(_index_action, resources))
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
        return self._bulk(self.name, map(_index_action, resources))

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
        body: dict[str, Any] = {"query": dsl, "sort": _sort(query.sort), "track_total_hits": True}
        if query.facets:
            body["aggs"] = {f: {"terms": {"field": f, "size": FACET_SIZE}} for f in FACET_FIELDS}
        page: dict[str, Any] = {"size": size, "_source": ["resource"], "track_scores": True}
        if words:
            page["highlight"] = _highlight(words)
        if query.after is not None:  # keyset paging: never deeper than one page
            answer = self._search({**body, **page, "search_after": list(query.after)})
            return SearchPage(
                total=_total(answer), hits=_hits(answer), facets=_facets(answer) if query.facets else {}
            )
        if offset + size <= self.max_result_window:
            answer = self._search({**body, **page, "from": offset})
            return SearchPage(
                total=_total(answer), hits=_hits(answer), facets=_facets(answer) if query.facets else {}
            )
        return self._deep_page(body, page, offset)

    def _deep_page(self, body: dict[str, Any], page: dict[str, Any], offset: int) -> SearchPage:
        """Skip to ``offset`` (sort values only), then read the page, with search_after on the stable
        sort (score or date, then id) in steps no larger than the result window: never scroll."""
        head = self._search({"query": body["query"], "size": 0, "track_total_hits": True, **_aggs(body)})
        total = _total(head)
        window = min(self.max_result_window, MAX_WINDOW)
        base = {"query": body["query"], "sort": body["sort"], "track_total_hits": False}
        after: list[Any] | None = None
        found: list[Hit] = []
        skip, wanted = min(offset, total), min(page["size"], max(0, total - offset))
        while skip or len(found) < wanted:
            extra = {"_source": False} if skip else page
            size = min(window, skip or wanted - len(found))
            answer = self._search({**base, **extra, "size": size, **_after(after)})
            hits = answer["hits"]["hits"]
            if not hits:
                break
            after = hits[-1]["sort"]
            if skip:
                skip -= len(hits)
            else:
                found.extend(_hits(answer))
        return SearchPage(total=total, hits=found, facets=_facets(head) if "aggs" in body else {})

    def suggest(self, prefix: str, size: int = 10) -> list[str]:
        """Titles that start with ``prefix`` (accent- and case-insensitive), best first."""
        cleaned = _RESERVED.sub(" ", _clean(prefix)).lstrip()
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
            body = {"sort": [{"id": "asc"}], "size": batch, "_source": False, **_after(after)}
            hits = self._search(body)["hits"]["hits"]
            for hit in hits:
                yield str(hit["_id"])
            if len(hits) < batch:
                return
            after = hits[-1]["sort"]


def _after(values: list[Any] | None) -> dict[str, Any]:
    return {} if values is None else {"search_after": values}


def _aggs(body: dict[str, Any]) -> dict[str, Any]:
    return {"aggs": body["aggs"]} if "aggs" in body else {}


def _total(answer: dict[str, Any]) -> int:
    return int(answer["hits"]["total"]["value"])


def _hits(answer: dict[str, Any]) -> list[Hit]:
    return [
        Hit(
            id=str(hit["_id"]),
            score=float(hit.get("_score") or 0.0),
            resource=Resource.model_validate(hit["_source"]["resource"]),
            highlights={k: list(v) for k, v in hit.get("highlight", {}).items()},
            sort_key=tuple(hit.get("sort") or ()),
        )
        for hit in answer["hits"]["hits"]
    ]


def _facets(answer: dict[str, Any]) -> dict[str, dict[str, int]]:
    aggregations = answer.get("aggregations", {})
    return {
        name: {str(b["key"]): int(b["doc_count"]) for b in aggregations.get(name, {}).get("buckets", [])}
        for name in FACET_FIELDS
    }
