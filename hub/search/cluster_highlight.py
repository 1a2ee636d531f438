"""Highlights of the cluster backends, made by the hub on the page's hits instead of by the engine.

The engine's highlighter ran on every search for the ten hits of the page (the unified highlighter
over 73 title and description fields): about a third of the engine's time for the common query
(docs/scale-out.md). The hub marks the same words in the returned Resources with the embedded
engine's highlighter (``hub.search.highlight``: the query's words, folded, marked where the text's
folded words equal them or start with a prefix of the query), per language of the title and the
description. The keys stay the engine's: ``title.<sub-field>`` and ``description.<sub-field>``, the
sub-field being the language's in the mapping (``en``, ``fr``, ..., ``other``). As on the embedded
engine, another form of a word (a stem match) is found but not marked.
"""

from __future__ import annotations

from functools import cache

import tantivy

from hub.search.cluster_mapping import LANGUAGE_ANALYZERS, OTHER
from hub.search.highlight import Wanted, marked, wanted
from hub.search.tantivy_schema import WORDS, analyzers
from normalizers.resource import Resource


@cache
def _analyzer() -> tantivy.TextAnalyzer:
    return analyzers()[WORDS]


def query_wanted(text: str) -> Wanted:
    """What to mark for the query text (empty when it has no words)."""
    return wanted(text, _analyzer()) if text.strip() else Wanted(frozenset(), ())


def _sub_field(tag: str) -> str:
    primary = tag.split("-", 1)[0].lower()
    return primary if primary in LANGUAGE_ANALYZERS else OTHER


def highlights_of(resource: Resource, want: Wanted) -> dict[str, list[str]]:
    """The marked titles (whole) and descriptions (a fragment around the first match) of a hit."""
    found: dict[str, list[str]] = {}
    if not want:
        return found
    analyzer = _analyzer()
    groups = (("title", resource.title, False), ("description", resource.description, True))
    for group, texts, fragment in groups:
        for tag, text in texts.items():
            mark = marked(text, analyzer, want, fragment) if text else None
            if mark is not None:
                found.setdefault(f"{group}.{_sub_field(tag)}", []).append(mark)
    return found
