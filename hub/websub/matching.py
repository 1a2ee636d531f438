"""Which changed records belong to a topic: the feed URL's search filters applied to one Resource."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hub.search.base import SearchQuery
from hub.search.params import filters_of_params, filters_query
from hub.store import Store
from normalizers.resource import Resource
from normalizers.search_query import FILTERS, field_terms


def topic_query(topic: str, store: Store | None = None) -> SearchQuery:
    """The SearchQuery a topic URL's filters make (raises BadSearchParameter like the feed would)."""
    return filters_query(filters_of_params(parse_qs(urlsplit(topic).query)), store=store)


def _words(text: str) -> set[str]:
    return {word for word in "".join(c if c.isalnum() else " " for c in text.casefold()).split() if word}


def matches(query: SearchQuery, resource: Resource) -> bool:
    """The feed's filters (fields AND-ed, values of one field OR-ed); free text: every word in a title or
    description (a plain word test, not the search backend's stemming)."""
    terms = field_terms(resource)
    for f in FILTERS:
        wanted = getattr(query, f.name)
        if f.engine_field is not None and wanted and not set(wanted) & set(terms[f.engine_field]):
            return False
    day = resource.display_date()
    if (query.date_from or query.date_until) and (
        day is None or day < (query.date_from or "") or day > (query.date_until or "9999-12-31")
    ):
        return False
    if query.text:
        text = _words(" ".join([*resource.title.values(), *resource.description.values()]))
        return _words(query.text) <= text
    return True
