"""The embedded Tantivy index's schema and analysis: which fields a Resource becomes, and how text is cut."""

from __future__ import annotations

import unicodedata
from typing import Any

import orjson
import tantivy

from hub.search.base import EXTRA_FILTER_FIELDS, FACET_FIELDS, filter_terms
from hub.search.fts_text import cjk_bigrams, clean, fold, without_cjk
from hub.search.results import result_json
from normalizers.resource import Resource
from normalizers.search_query import moment_number, sort_moment
from normalizers.symbols import symbol_search_text

# Bumped whenever the schema, the analysis or what a document holds changes: an index built with
# another version is emptied on opening and rebuilt from the store.
# 2: the filter-only fields follow the filters' declaration (target_inferred, target_any); 3: the date
# order is the publication moment (time of day, as a UTC instant), not only its day; 4: the word
# fields hold their words already cut (``words``: the same terms), the shown texts stored apart
SCHEMA_VERSION = 4

WORDS = "gkss_words"  # letters, digits and combining marks (Devanagari vowel signs stay in the word)
BIGRAMS = "gkss_bigrams"  # CJK runs, already cut into character bigrams (space-separated)
CUT = "gkss_cut"  # the word fields' analyzer: WORDS's filters over words already cut by ``words``
_WORD = r"[\p{L}\p{N}\p{M}\p{Co}]+"

# Stemmers Tantivy has for the UN languages (Chinese has none: its runs are bigrams).
STEMMERS: dict[str, str] = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "ru": "russian",
    "ar": "arabic",
}
# Text fields with their relevance weights (title, description and subjects as FTS5 weighed them).
WORD_FIELDS: dict[str, float] = {"title": 10.0, "description": 2.0, "subjects": 4.0}
CJK_FIELDS: dict[str, float] = {"title_cjk": 10.0, "text_cjk": 2.0}
STEM_WEIGHT = 1.0  # another form of the word (same stem) counts, below the word itself
STEM_FIELDS: dict[str, float] = {f"stem_{lang}": STEM_WEIGHT for lang in STEMMERS}
# Exact-value fields (filters and facets): the facet ones are fast (column) fields for counting.
FACET_VALUE_FIELDS = FACET_FIELDS
FILTER_VALUE_FIELDS = EXTRA_FILTER_FIELDS  # filter-only fields, from the filters' one declaration
SHOWN = {"title": "title_text", "description": "description_text"}  # stored text of a word field
SUGGEST = "suggest"  # "folded title" + SEPARATOR + "title": the term dictionary answers prefixes
SEPARATOR = "\x00"


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """Every analyzer the schema and the queries name (Tantivy keeps none of them in the index:
    register on open). ``WORDS`` and ``gkss_stem_<lang>`` cut a text into words (queries, highlights);
    the fields are indexed by ``CUT`` and ``gkss_cut_stem_<lang>``, the same filters over the words
    ``words`` cut beforehand (Tantivy's regex tokenizer was about a fifth of a document's indexing)."""

    def analyzer(tokenizer: tantivy.Tokenizer, *extra: tantivy.Filter) -> tantivy.TextAnalyzer:
        builder = tantivy.TextAnalyzerBuilder(tokenizer)
        for step in (
            tantivy.Filter.remove_long(80),
            tantivy.Filter.lowercase(),
            tantivy.Filter.ascii_fold(),
            *extra,
        ):
            builder = builder.filter(step)
        return builder.build()

    found = {
        WORDS: analyzer(tantivy.Tokenizer.regex(_WORD)),
        CUT: analyzer(tantivy.Tokenizer.whitespace()),
        BIGRAMS: tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build(),
    }
    for lang, stemmer in STEMMERS.items():
        found[f"gkss_stem_{lang}"] = analyzer(tantivy.Tokenizer.regex(_WORD), tantivy.Filter.stemmer(stemmer))
        found[f"gkss_cut_stem_{lang}"] = analyzer(
            tantivy.Tokenizer.whitespace(), tantivy.Filter.stemmer(stemmer)
        )
    return found


# Cutting a text into words as the WORDS tokenizer does, its words separated by single spaces, for
# Tantivy's whitespace tokenizer: an ASCII text by a byte table (its word characters are the ASCII
# letters and digits; tests/hub/test_tantivy_cut.py), any other by the regex tokenizer itself.
_ASCII_CUT = bytes(b if chr(b).isalnum() else 0x20 for b in range(256))
_BARE = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(_WORD)).build()


def words(text: str) -> str:
    """``text``'s words (maximal runs of letters, digits, combining marks and private-use characters)
    separated by whitespace: what the ``CUT`` analyzers index as the ``WORDS`` ones would ``text``."""
    if text.isascii():
        return text.encode("ascii").translate(_ASCII_CUT).decode("ascii")
    return " ".join(_BARE.analyze(text))


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    # Date newest first then id: one string column whose descending order is the hub's date order.
    builder.add_text_field("order", stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("day", indexed=True, fast=True)  # YYYYMMDD, 0 when undated
    builder.add_integer_field("moment", fast=True)  # the sort moment as YYYYMMDDHHMMSS, 0 when undated
    builder.add_bytes_field("resource", stored=True)  # the Resource JSON, as the store validated it
    builder.add_bytes_field("card", stored=True)  # its search result JSON (hub.search.results.result_json)
    for name in WORD_FIELDS:
        builder.add_text_field(name, tokenizer_name=CUT)
    for name in SHOWN.values():  # the texts the words were cut from, for highlights
        builder.add_bytes_field(name, stored=True)
    for name in CJK_FIELDS:
        builder.add_text_field(name, tokenizer_name=BIGRAMS)
    for lang in STEMMERS:
        builder.add_text_field(f"stem_{lang}", tokenizer_name=f"gkss_cut_stem_{lang}", index_option="freq")
    for name in FACET_VALUE_FIELDS:
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    for name in FILTER_VALUE_FIELDS:
        builder.add_text_field(name, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(SUGGEST, tokenizer_name="raw", index_option="basic")
    return builder.build()


def order_key(moment: str | None, id: str) -> str:
    """A string whose descending order is the sort moment descending (its 14 digits, undated last;
    ``normalizers.search_query.sort_moment``), then id ascending: the id's UTF-8 bytes inverted (as
    hex) and closed by a mark above every hex digit."""
    return moment_digits(moment) + _inverted(id)


_INVERT = bytes(range(255, -1, -1))  # byte b -> 255 - b


def _inverted(id: str) -> str:
    """The order key's tail: the id's UTF-8 bytes inverted (as hex), closed by a mark above every hex
    digit."""
    return id.encode("utf-8").translate(_INVERT).hex() + "z"


def moment_digits(moment: str | None) -> str:
    """A sort moment (``YYYY-MM-DDTHH:MM:SSZ``) as its 14 digits YYYYMMDDHHMMSS (zeros when undated):
    fixed width, and nothing Tantivy's query parser reads as syntax (the order key's head)."""
    return f"{moment_number(moment):014d}"


def day_number(date: str | None) -> int:
    """``YYYY-MM-DD`` as the integer YYYYMMDD (0 when undated), for date ranges."""
    return int(date.replace("-", "")) if date else 0


def suggestion_key(text: str) -> str:
    """A title or a typed prefix as suggestions compare them: case-folded, accents dropped."""
    decomposed = unicodedata.normalize("NFKD", clean(text).casefold())
    if decomposed.isascii():  # no combining marks to drop
        return decomposed.strip()
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).strip()


def facet_values(resource: Resource) -> dict[str, list[str]]:
    """The exact values a Resource is filtered and counted by, field by field."""
    year = resource.year()
    values = {
        "type": [resource.type],
        "source": [resource.source],
        "country": list(dict.fromkeys(resource.countries)),
        "target": list(dict.fromkeys(resource.gbf_targets)),
        "language": list(dict.fromkeys([*resource.languages, *(k for k in resource.title if k != "und")])),
        "year": [str(year)] if year is not None else [],
        **filter_terms(resource),
    }
    return {field: [clean(v) for v in found] for field, found in values.items() if found}


def card(resource: Resource) -> bytes:
    """The search result of a Resource as JSON (without score and highlights), encoded when indexed
    (orjson: compact UTF-8, as ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` gives it)."""
    return orjson.dumps(result_json(resource))


def document(resource: Resource, json: str | None = None) -> tantivy.Document:
    """The Tantivy document of a Resource (``json``: its JSON when the caller has it already)."""
    return tantivy.Document(**document_fields(resource, json))


def document_fields(resource: Resource, json: str | None = None) -> dict[str, Any]:
    """The fields of a Resource's Tantivy document (``document``), plain values (text, bytes, numbers
    and lists of them): made in a re-normalising helper process and sent to the run's process, which
    only makes the ``tantivy.Document`` of them."""
    title = fold("\n".join(resource.title.values()))
    description = fold("\n".join(resource.description.values()))
    subjects = fold("\n".join([*resource.subjects, symbol_search_text(resource.symbols)]))
    date = resource.display_date()
    number = moment_number(sort_moment(resource))
    rid = clean(resource.id)
    shown_title, shown_description = without_cjk(title), without_cjk(description)
    fields: dict[str, Any] = {
        "id": rid,
        "order": f"{number:014d}" + _inverted(rid),  # order_key, the moment's digits made once
        "day": day_number(date),
        "moment": number,
        "resource": (json if json is not None else resource.model_dump_json()).encode("utf-8"),
        "card": card(resource),
        "title": words(shown_title),
        "description": words(shown_description),
        "subjects": words(without_cjk(subjects)),
        SHOWN["title"]: shown_title.encode("utf-8"),
        SHOWN["description"]: shown_description.encode("utf-8"),
        "title_cjk": cjk_bigrams(title),
        "text_cjk": cjk_bigrams(description + "\n" + subjects),
        **facet_values(resource),
    }
    for lang in STEMMERS:
        texts = [resource.title.get(lang, ""), resource.description.get(lang, "")]
        if any(texts):
            fields[f"stem_{lang}"] = words(without_cjk(fold("\n".join(texts))))
    titles = [t for t in dict.fromkeys(resource.title.values()) if t.strip()]
    if titles:
        fields[SUGGEST] = [suggestion_key(t)[:200] + SEPARATOR + clean(t) for t in titles]
    return fields
