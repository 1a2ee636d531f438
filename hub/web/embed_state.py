"""What an embedded search shows: fixed filters (a centre's region ...) narrowing the user's picks."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from hub.search.base import FACET_FIELDS
from hub.search.params import SearchFilters
from normalizers.vocabularies.countries import countries
from normalizers.vocabularies.regions import region_id, regions

FIXED_ATTRIBUTES = tuple(f"filter-{facet}" for facet in FACET_FIELDS)


def words(value: str | None) -> list[str]:
    return (value or "").replace(",", " ").split()


def region_countries(value: str) -> list[str] | None:
    """The ISO codes of the countries in a region (M49 code, CBD group GUID or slug); None when unknown."""
    identifier = region_id(value)
    if identifier is None:
        return None
    return sorted(c.iso2 for c in countries().values() if identifier in c.regions)


def region_name(value: str, lang: str) -> str | None:
    identifier = region_id(value)
    if identifier is None:
        return None
    names = regions()[identifier].name
    return names.get(lang) or names.get("en") or identifier


class UnknownRegion(ValueError):
    """``filter-region`` names no region the hub knows."""


@dataclass(slots=True)
class EmbedState:
    """The request of an embedded search: text, page, language, fixed filters and picked facet values."""

    q: str = ""
    page: int = 1
    size: int = 10
    lang: str = "en"
    fixed: dict[str, list[str]] = field(default_factory=dict)  # attribute -> values, e.g. filter-country
    picked: dict[str, list[str]] = field(default_factory=dict)  # facet -> values

    def allowed(self, facet: str) -> list[str] | None:
        """The values a fixed filter allows for ``facet`` (None: any)."""
        return self.fixed.get(f"filter-{facet}") or None

    def regions(self) -> tuple[str, ...]:
        """The fixed regions; the search matches records naming one of them or a country in it."""
        values = tuple(self.fixed.get("filter-region", []))
        for value in values:
            if region_id(value) is None:
                raise UnknownRegion(f"unknown region {value!r}")
        return values

    def values(self, facet: str) -> list[str]:
        """What the search filters ``facet`` on: the picks within the fixed values, else the fixed values."""
        allowed = self.allowed(facet)
        picked = self.picked.get(facet, [])
        if allowed is None:
            return picked
        inside = [v for v in picked if v in allowed]
        return inside or allowed

    def filters(self) -> SearchFilters:
        years = tuple(int(v) for v in self.values("year") if v.isdigit())
        return SearchFilters(
            q=self.q or None,
            source=tuple(self.values("source")),
            type=tuple(self.values("type")),
            country=tuple(self.values("country")),
            target=tuple(self.values("target")),
            language=tuple(self.values("language")),
            year=years,
            region=self.regions(),
        )

    def params(self, **change: object) -> list[tuple[str, str]]:
        """This state as query parameters changed (``page``, ``q``, ``lang``) or ``toggle=(facet, value)``."""
        picked = {} if change.pop("clear", False) else {k: list(v) for k, v in self.picked.items()}
        toggle = change.pop("toggle", None)
        if isinstance(toggle, tuple):
            facet, value = str(toggle[0]), str(toggle[1])
            current = picked.setdefault(facet, [])
            picked[facet] = [v for v in current if v != value] if value in current else [*current, value]
            change.setdefault("page", 1)
        out: list[tuple[str, str]] = []
        q = str(change.get("q", self.q))
        if q:
            out.append(("q", q))
        out.append(("lang", str(change.get("lang", self.lang))))
        out.extend((name, " ".join(values)) for name, values in self.fixed.items() if values)
        out.append(("page-size", str(self.size)))
        out.extend((facet, value) for facet, values in picked.items() for value in values)
        page = int(str(change.get("page", self.page)))
        if page > 1:
            out.append(("page", str(page)))
        return out

    def query_string(self, **change: object) -> str:
        return urlencode(self.params(**change))
