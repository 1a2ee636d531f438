"""What the cluster stores: its analyzers, its mapping and the document of a Resource."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from hub.search.base import FACET_FIELDS, FILTER_FIELDS, filter_terms
from normalizers.resource import Resource
from normalizers.search_query import moment_number, sort_moment
from normalizers.symbols import symbol_search_text

# Title/description sub-field per language -> the built-in analyzer both Elasticsearch and OpenSearch
# ship for it (their "language analyzers"; smartcn is only a plugin, so zh uses cjk). The six UN
# languages, then (issue 19) the other languages the network publishes in or harvests that have one.
# Keys are BCP 47 primary subtags (normalizers.vocabularies.languages); data only, so an engine-neutral
# cluster mapping can carry the table over as it is.
LANGUAGE_ANALYZERS: dict[str, str] = {
    "en": "english", "fr": "french", "es": "spanish", "ru": "russian", "ar": "arabic", "zh": "cjk",
    "de": "german", "it": "italian", "pt": "portuguese", "id": "indonesian", "nl": "dutch",
    "bn": "bengali", "th": "thai", "ko": "cjk", "ja": "cjk", "hi": "hindi", "fa": "persian",
    "tr": "turkish", "el": "greek", "bg": "bulgarian", "cs": "czech", "da": "danish", "et": "estonian",
    "fi": "finnish", "hu": "hungarian", "lt": "lithuanian", "lv": "latvian", "no": "norwegian",
    "ro": "romanian", "sv": "swedish", "ca": "catalan", "eu": "basque", "gl": "galician", "ga": "irish",
    "hy": "armenian",
}  # fmt: skip
OTHER = "other"  # every other language (sw, ms, ...) and "und": standard tokenizer + lowercase + asciifolding
COMPLETION_RESERVED = re.compile(r"[\x00\x1e\x1f]")  # characters the completion field refuses


def _text_field(analyzer: str, copy_to: list[str]) -> dict[str, Any]:
    return {"type": "text", "analyzer": analyzer, "copy_to": copy_to}


ANALYZER_OF: dict[str, str] = {**LANGUAGE_ANALYZERS, OTHER: "folded"}  # each language field's analyzer
TEXT = "text"  # one field per language: its titles and descriptions together, what a word matches
TITLE_WORDS = "title_words"  # every title folded, one field: what ranks a title match first


def _language_group(copy_to: list[str]) -> dict[str, Any]:
    """One text field per UN language plus ``other``; offsets indexed so highlighting reads postings.
    Each also copies to its language's ``text`` field (``text_group``)."""
    fields = {
        lang: _text_field(analyzer, [*copy_to, f"{TEXT}.{lang}"]) for lang, analyzer in ANALYZER_OF.items()
    }
    return {"properties": {k: {**v, "index_options": "offsets"} for k, v in fields.items()}}


def text_group() -> dict[str, Any]:
    """The per-language matching fields (issue 16): a language's title and description in one field
    with its analyzer, so a word is looked up in one field per language instead of two; frequencies
    only (no positions: a word's stems are matched, phrases are ``all_text``'s)."""
    fields = {
        lang: {"type": "text", "analyzer": a, "index_options": "freqs"} for lang, a in ANALYZER_OF.items()
    }
    return {"properties": fields}


SAMPLE_FIELD = "sample"
SAMPLE_BUCKETS = 100  # a document's sample bucket is one of 0..99, from its id alone


def sample_bucket(id: str) -> int:
    """A document's sample bucket, 0..SAMPLE_BUCKETS-1: a hash of its id, so the same on every engine,
    in every run and independent of what the document says (estimated counts read k of the buckets)."""
    digest = hashlib.blake2b(id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % SAMPLE_BUCKETS


KEYWORD: dict[str, Any] = {"type": "keyword"}
# Facet fields build their global ordinals at refresh, not on the first search after it (updatable on
# an existing index, so ``ClusterIndex`` puts it on indices made before).
FACET_KEYWORD: dict[str, Any] = {**KEYWORD, "eager_global_ordinals": True}
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": KEYWORD,
        **{field: FACET_KEYWORD if field in FACET_FIELDS else KEYWORD for field in FILTER_FIELDS},
        "sort_date": {"type": "date", "format": "strict_date"},  # the day: what date ranges filter
        "sort_time": {"type": "long"},  # the publication moment, YYYYMMDDHHMMSS (UTC): the date order
        "title": _language_group(["all_text", "title_exact", TITLE_WORDS]),
        "description": _language_group(["all_text"]),
        "subjects": _text_field("folded", ["all_text"]),
        "all_text": {"type": "text", "analyzer": "folded"},
        TEXT: text_group(),
        TITLE_WORDS: {"type": "text", "analyzer": "folded"},
        "title_exact": {"type": "keyword", "normalizer": "folded", "ignore_above": 256},
        "suggest": {"type": "completion", "analyzer": "folded", "max_input_length": 100},
        "content_hash": KEYWORD,
        SAMPLE_FIELD: KEYWORD,  # the sample bucket (sample_bucket): what estimated counts filter on
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
        "subjects": [*resource.subjects, *symbol_search_text(resource.symbols).splitlines()],
        "content_hash": resource.content_hash(),
        SAMPLE_FIELD: str(sample_bucket(resource.id)),
        "resource": resource.model_dump(mode="json"),
    }
    titles = [
        t
        for t in dict.fromkeys(COMPLETION_RESERVED.sub(" ", t).strip() for t in resource.title.values())
        if t
    ]
    if titles:
        doc["suggest"] = {"input": titles}
    year = resource.year()
    if year is not None:
        doc["year"] = str(year)
    doc.update({field: values for field, values in filter_terms(resource).items() if values})
    day = resource.display_date()
    if day:
        doc["sort_date"] = day
    moment = sort_moment(resource)
    if moment:
        doc["sort_time"] = moment_number(moment)
    return doc


def json_text(text: str) -> str:
    """Text JSON can carry: lone surrogates become U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def index_action(resource: Resource) -> dict[str, Any]:
    return {"_op_type": "index", "_id": resource.id, "_source": document(resource)}
