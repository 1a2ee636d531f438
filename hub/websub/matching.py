"""Which changed records belong to a topic: the feed URL's search filters applied to one Resource."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from hub.results import BadSearchParameter, build_query
from hub.search.base import SearchQuery
from normalizers.resource import Resource

_FILTERS = ("q", "source", "type", "country", "target", "language", "year")


def topic_query(topic: str) -> SearchQuery:
    """The SearchQuery a topic URL's filters make (raises BadSearchParameter like the feed would)."""
    params = parse_qs(urlsplit(topic).query)
    years = params.get("year", [])
    if not all(y.isdigit() for y in years):
        raise BadSearchParameter("year must be a four-digit year")
    return build_query(
        " ".join(params.get("q", [])) or None,
        source=params.get("source", []),
        type=params.get("type", []),
        country=params.get("country", []),
        target=params.get("target", []),
        language=params.get("language", []),
        year=[int(y) for y in years],
    )


def _words(text: str) -> set[str]:
    return {word for word in "".join(c if c.isalnum() else " " for c in text.casefold()).split() if word}


def matches(query: SearchQuery, resource: Resource) -> bool:
    """The feed's filters (fields AND-ed, values of one field OR-ed); free text: every word in a title or
    description (a plain word test, not the search backend's stemming)."""
    checks = (
        (query.source, {resource.source}),
        (query.type, {resource.type}),
        (query.country, set(resource.countries)),
        (query.target, set(resource.gbf_targets)),
        (query.language, set(resource.languages)),
        (query.year, {resource.year()}),
    )
    for wanted, has in checks:
        if wanted and not set(wanted) & has:
            return False
    if query.text:
        text = _words(" ".join([*resource.title.values(), *resource.description.values()]))
        return _words(query.text) <= text
    return True
