"""What the cluster is asked and how its answers read: query DSL, sort, highlight, hits and facets."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from hub.search.base import FACET_FIELDS, FILTER_FIELDS, Hit, SearchQuery
from hub.search.cluster_highlight import highlights_of
from hub.search.cluster_mapping import TEXT, TITLE_WORDS, json_text
from hub.search.highlight import Wanted
from normalizers.resource import Resource

MAX_TERMS = 32  # query words used; the rest of a (hostile) giant query is dropped, never an error
_WORDY = re.compile(r"\w", re.UNICODE)
# What a word matches besides its folded form in ``all_text``: its stems in the text of each language
# (a language's title and description in one field, hub.search.cluster_mapping.text_group).
MATCH_FIELDS = [f"{TEXT}.*"]
TITLE_BOOST, SUBJECT_BOOST = 5.0, 2.0  # a word in a title, in a subject (score only)
# Every field a word of the query is looked up in, with the boosts: the benchmark's floor asks a bare
# multi_match on these (tests/benchmarks/bench_search_cluster.py).
SEARCH_FIELDS = ["all_text", *MATCH_FIELDS, f"{TITLE_WORDS}^{TITLE_BOOST:g}", f"subjects^{SUBJECT_BOOST:g}"]
# What an index written before the per-language text fields matches on (ClusterSearch.per_language).
LEGACY_FIELDS = ["title.*^5", "description.*^1.5", "subjects^2"]
_HIGHLIGHT_FIELDS = ["title.*", "description.*"]


def query_words(text: str) -> list[tuple[str, bool]]:
    """The searchable words of a query as (word, is_prefix); like FTS5's reading, capped at MAX_TERMS."""
    words: list[tuple[str, bool]] = []
    for token in text.split():
        core = token.rstrip("*")
        if _WORDY.search(core):
            words.append((core, token.endswith("*")))
    return words[:MAX_TERMS]


def build_query(
    query: SearchQuery, per_language: bool = True
) -> tuple[dict[str, Any], list[tuple[str, bool]]]:
    """The query DSL of a SearchQuery: every word must match, folded (``all_text``) or stemmed in a
    language (``MATCH_FIELDS``); a title match, a subject match and the exact title rank first.
    ``per_language`` False: on the fields of an index written before ``text`` (``LEGACY_FIELDS``)."""
    words = query_words(json_text(query.text))
    must: list[dict[str, Any]] = []
    fields = MATCH_FIELDS if per_language else LEGACY_FIELDS
    for word, prefix in words:
        exact_kind = "match_phrase_prefix" if prefix else "match_phrase"
        options: list[dict[str, Any]] = [{exact_kind: {"all_text": {"query": word}}}]
        if not prefix:
            options.append(
                {"multi_match": {"query": word, "fields": fields, "operator": "and", "lenient": True}}
            )
        must.append({"bool": {"should": options, "minimum_should_match": 1}})
    pairs: list[tuple[str, Sequence[object]]] = [(name, getattr(query, name)) for name in FILTER_FIELDS]
    filters: list[dict[str, Any]] = [
        {"terms": {name: [json_text(str(v)) for v in values]}} for name, values in pairs if values
    ]
    if query.date_from or query.date_until:
        bounds = {"gte": query.date_from, "lte": query.date_until}
        filters.append({"range": {"sort_date": {k: v for k, v in bounds.items() if v}}})
    boolean: dict[str, Any] = {"must": must, "filter": filters}
    whole = " ".join(word for word, _ in words)
    if must and len(whole) <= 1000:  # score only: the exact title first, then title phrases
        boolean["should"] = [{"term": {"title_exact": {"value": whole, "boost": 20.0}}}]
        title = TITLE_WORDS if per_language else "title.*"
        if per_language:  # the words in a title, in a subject (LEGACY_FIELDS score them per word)
            boolean["should"].append({"match": {TITLE_WORDS: {"query": whole, "boost": TITLE_BOOST}}})
            boolean["should"].append({"match": {"subjects": {"query": whole, "boost": SUBJECT_BOOST}}})
        if len(words) > 1:  # a one-word "phrase" is that word in a title, which is scored already
            phrase = {"query": whole, "type": "phrase", "fields": [title], "boost": 3.0}
            boolean["should"].append({"multi_match": phrase})
    return {"bool": boolean}, words


def counting(dsl: dict[str, Any]) -> dict[str, Any]:
    """What a query of ``build_query`` matches, unscored: its words and filters as filters, without the
    score-only clauses (what counting requests ask: nothing looked up for a score nobody reads)."""
    boolean = dsl["bool"]
    return {"bool": {"filter": [*boolean["must"], *boolean["filter"]]}}


def sort_clause(kind: str) -> list[dict[str, Any]]:
    by_date: list[dict[str, Any]] = [{"sort_time": {"order": "desc", "missing": "_last"}}, {"id": "asc"}]
    return by_date if kind == "date" else [{"_score": "desc"}, *by_date]


def highlight_clause(words: list[tuple[str, bool]]) -> dict[str, Any]:
    """The engine's highlighter, as the hub asked it before highlighting itself (kept for the
    benchmark's comparison, tests/benchmarks/cluster_breakdown.py). Mark the query's words (a prefix:
    the words it starts) in titles and descriptions: one ``multi_match`` of every whole word (not one
    per word) and one ``phrase_prefix`` per prefix."""
    whole = " ".join(w for w, prefix in words if not prefix)
    prefixes = [w for w, prefix in words if prefix]
    shoulds = [
        {"multi_match": {"query": w, "fields": _HIGHLIGHT_FIELDS, "type": "phrase_prefix"}} for w in prefixes
    ]
    if whole:
        shoulds.append({"multi_match": {"query": whole, "fields": _HIGHLIGHT_FIELDS}})
    return {
        "pre_tags": ["<em>"],
        "post_tags": ["</em>"],
        "highlight_query": {"bool": {"should": shoulds}},
        "fields": {
            "title.*": {"number_of_fragments": 0},
            "description.*": {"fragment_size": 160, "number_of_fragments": 2},
        },
    }


def after_clause(values: list[Any] | None) -> dict[str, Any]:
    return {} if values is None else {"search_after": values}


def aggs_of(body: dict[str, Any]) -> dict[str, Any]:
    return {"aggs": body["aggs"]} if "aggs" in body else {}


def counted_apart(
    body: dict[str, Any],
    index: str,
    msearch: Callable[[str, list[dict[str, Any]]], list[dict[str, Any]]],
    search: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any]:
    """The answer of ``body`` from one ``_msearch`` of two requests: the page without counting, and the
    exact total and the facets in a ``size: 0`` request, which the engine's shard request cache answers
    until the next refresh (the query without words and the common filters repeat; measured in
    docs/testing-and-benchmarks.md). Any failed item: ``search`` of the whole body instead."""
    counts = {"query": body["query"], "size": 0, "track_total_hits": True, **aggs_of(body)}
    page = {k: v for k, v in body.items() if k != "aggs"} | {"track_total_hits": False}
    answers = msearch(index, [page, counts])
    if any_failed(answers):
        return search(body)
    found, counted = answers
    return {**found, "hits": {**found["hits"], "total": counted["hits"]["total"]}, **aggs_in(counted)}


def any_failed(answers: list[dict[str, Any]]) -> bool:
    """Whether an item of an ``_msearch`` answer is an error or failed on some shards."""
    return any("error" in a or int(a.get("_shards", {}).get("failed", 0)) for a in answers)


def aggs_in(answer: dict[str, Any]) -> dict[str, Any]:
    return {"aggregations": answer["aggregations"]} if "aggregations" in answer else {}


def total_of(answer: dict[str, Any]) -> int:
    return int(answer["hits"]["total"]["value"])


def hits_of(answer: dict[str, Any], want: Wanted) -> list[Hit]:
    """The hits of an answer, with the hub's highlights of ``want`` (hub.search.cluster_highlight)."""
    hits: list[Hit] = []
    for hit in answer["hits"]["hits"]:
        resource = Resource.model_validate(hit["_source"]["resource"])
        hits.append(
            Hit(
                id=str(hit["_id"]),
                score=float(hit.get("_score") or 0.0),
                resource=resource,
                highlights=highlights_of(resource, want),
                sort_key=tuple(hit.get("sort") or ()),
            )
        )
    return hits


def facets_of(answer: dict[str, Any]) -> dict[str, dict[str, int]]:
    aggregations = answer.get("aggregations", {})
    return {
        name: {str(b["key"]): int(b["doc_count"]) for b in aggregations.get(name, {}).get("buckets", [])}
        for name in FACET_FIELDS
    }
