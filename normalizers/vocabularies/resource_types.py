"""The controlled list of resource types and how source type words map onto it."""

from __future__ import annotations

RESOURCE_TYPES: tuple[str, ...] = (
    "national-report", "nbsap", "national-target", "decision", "notification", "meeting",
    "document", "news", "event", "indicator", "dataset", "tool", "training-material",
    "organisation", "case-study", "other",
)  # fmt: skip

_WORDS = {
    "text": "document", "article": "document", "book": "document", "report": "document",
    "preprint": "document", "thesis": "document", "publication": "document",
    "journalarticle": "document", "conferencepaper": "document", "bookchapter": "document",
    "info:eu-repo/semantics/article": "document", "info:eu-repo/semantics/report": "document",
    "dataset": "dataset", "data": "dataset", "software": "tool", "tool": "tool",
    "event": "event", "news": "news", "image": "other", "video": "training-material",
    "lesson": "training-material", "presentation": "document", "case study": "case-study",
}  # fmt: skip


def map_type(words: list[str], default: str = "other") -> str:
    """The first source type word that maps onto the controlled list, else ``default``."""
    for word in words:
        key = word.strip().lower()
        if key in RESOURCE_TYPES:
            return key
        if key in _WORDS:
            return _WORDS[key]
        tail = key.rsplit("/", 1)[-1]
        if tail in _WORDS:
            return _WORDS[tail]
    return default
