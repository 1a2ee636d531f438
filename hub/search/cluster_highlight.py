"""Highlights of the cluster backends, made by the hub on the page's hits instead of by the engine.

The engine's highlighter ran on every search for the ten hits of the page (the unified highlighter
over 73 title and description fields): about a third of the engine's time for the common query
(docs/scale-out.md). The hub marks the same words in the returned Resources with the embedded
engine's highlighter (``hub.search.highlight``: the query's words, folded, marked where the text's
folded words equal them or start with a prefix of the query). The keys are the documented ones
(docs/http-api.md), the embedded engine's and what the widget reads: ``title``, else ``description``
(the engine's highlighter answered ``title.<language>`` keys, which the widget never showed). As on
the embedded engine, another form of a word (a stem match) is found but not marked.
"""

from __future__ import annotations

from functools import cache

import tantivy

from hub.search.highlight import Wanted, marked, wanted
from hub.search.tantivy_schema import WORDS, analyzers
from normalizers.resource import Resource


@cache
def _analyzer() -> tantivy.TextAnalyzer:
    return analyzers()[WORDS]


def query_wanted(text: str) -> Wanted:
    """What to mark for the query text (empty when it has no words)."""
    return wanted(text, _analyzer()) if text.strip() else Wanted(frozenset(), ())


def highlights_of(resource: Resource, want: Wanted) -> dict[str, list[str]]:
    """The answer's documented shape, as the embedded engine gives it: ``{"title": [marked title]}``
    (the displayed title first, then the others), else ``{"description": [a fragment around the
    first match]}``, else nothing."""
    if not want:
        return {}
    analyzer = _analyzer()
    shown = resource.display_title()
    titles = [shown, *(t for t in resource.title.values() if t != shown)]
    for field, texts, fragment in (
        ("title", titles, False),
        ("description", resource.description.values(), True),
    ):
        for text in texts:
            mark = marked(text, analyzer, want, fragment) if text else None
            if mark is not None:
                return {field: [mark]}
    return {}
