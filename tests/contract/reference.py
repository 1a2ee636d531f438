"""The contract's reference model: what a search of the corpus must answer, computed in plain Python
(a reference word matcher and collections.Counter) from corpus.json, never taken from a backend."""

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable

from hub.search.base import FACET_FIELDS, SearchIndex, SearchPage, SearchQuery
from normalizers.resource import Resource

ALL = 10_000
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")

# --- reference model ---------------------------------------------------------------------------


def fold(text: str) -> str:
    """Lower case; combining marks dropped from Latin and Arabic letters (é -> e, harakat and hamza
    gone), kept elsewhere (Cyrillic й stays й)."""
    out: list[str] = []
    for c in unicodedata.normalize("NFKD", text.casefold()):
        if (
            unicodedata.category(c).startswith("M")
            and out
            and (out[-1] < "\u0250" or "\u0600" <= out[-1] <= "\u06ff")
        ):
            continue
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def texts(resource: Resource) -> list[str]:
    return [*resource.title.values(), *resource.description.values(), *resource.subjects]


def words(resource: Resource) -> set[str]:
    return {w for t in texts(resource) for w in re.findall(r"[^\W_]+", fold(t))}


def has_word(resource: Resource, word: str) -> bool:
    """Does the resource contain this word (or, for CJK text, this string) anywhere?"""
    if CJK.search(word):
        return any(word in t for t in texts(resource))
    return fold(word) in words(resource)


def has_prefix(resource: Resource, prefix: str) -> bool:
    return any(w.startswith(fold(prefix)) for w in words(resource))


def facet_values(resource: Resource) -> dict[str, set[str]]:
    year = resource.year()
    return {
        "type": {resource.type},
        "source": {resource.source},
        "country": set(resource.countries),
        "target": set(resource.gbf_targets),
        "language": set(resource.languages) | {k for k in resource.title if k != "und"},
        "year": {str(year)} if year is not None else set(),
    }


def expected_facets(resources: Iterable[Resource]) -> dict[str, dict[str, int]]:
    counters: dict[str, Counter[str]] = {field: Counter() for field in FACET_FIELDS}
    for resource in resources:
        for field, values in facet_values(resource).items():
            counters[field].update(values)
    return {f: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for f, c in counters.items()}


def by_date(resources: Iterable[Resource]) -> list[str]:
    """Ids newest first, then by id; undated last."""
    ordered = sorted(resources, key=lambda r: r.id)
    return [r.id for r in sorted(ordered, key=lambda r: r.display_date() or "", reverse=True)]


def ids_of(resources: Iterable[Resource]) -> set[str]:
    return {r.id for r in resources}


def select(corpus: list[Resource], keep: Callable[[Resource], bool]) -> list[Resource]:
    return [r for r in corpus if keep(r)]


def run(index: SearchIndex, **kwargs: object) -> SearchPage:
    return index.search(SearchQuery(**kwargs))  # type: ignore[arg-type]


def all_ids(index: SearchIndex, **kwargs: object) -> list[str]:
    return [h.id for h in run(index, size=ALL, facets=False, **kwargs).hits]


def assert_facets_ordered(facets: dict[str, dict[str, int]]) -> None:
    for values in facets.values():
        pairs = list(values.items())
        assert pairs == sorted(pairs, key=lambda kv: (-kv[1], kv[0]))
