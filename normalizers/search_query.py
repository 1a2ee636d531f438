"""The search query over the common schema: free text, the filters (declared once, ``FILTERS``), sort, paging.

It sits beside the vocabularies it filters by, below registry, federation and hub, so that every
layer reads the same declaration: the HTTP API and the command line, the peer forwarding of a
federated search, the search cursor and the engines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date
from typing import TYPE_CHECKING, Any, Literal

from normalizers.vocabularies.countries import regions_of
from normalizers.vocabularies.gbf import goal_id, target_id
from normalizers.vocabularies.indicators import indicator_id
from normalizers.vocabularies.regions import region_id

if TYPE_CHECKING:
    from normalizers.resource import Resource


class BadSearchParameter(ValueError):
    """A search parameter cannot be understood."""


def _as_given(value: str) -> str:
    return value


def _upper(value: str) -> str:
    return value.upper()


def _year(value: str | int) -> int:
    text = str(value)
    if not (text.isdigit() and len(text) <= 4):
        raise BadSearchParameter("year must be a four-digit year")
    return int(text)


def _known(canonical: Callable[[str], str | None], what: str, forms: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        identifier = canonical(value)
        if identifier is None:
            raise BadSearchParameter(f"unknown {what} {value!r}: use {forms}")
        return identifier

    return parse


TARGET_BASES: tuple[str, ...] = ("stated", "inferred", "any")
"""Which targets a ``target`` filter matches: those the source states (the default), those inferred
from the text (``Resource.gbf_targets_inferred``), or either."""
MAX_PAGE = 100_000
"""The deepest page a search or feed serves by number (``cursor`` pages on past it)."""


def _basis(value: str) -> str:
    if value not in TARGET_BASES:
        raise BadSearchParameter("target_basis must be 'stated', 'inferred' or 'any'")
    return value


def _day(name: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise BadSearchParameter(f"{name} must be a date, YYYY-MM-DD") from None

    return parse


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """One search filter, as every layer reads it.

    ``name`` is the SearchQuery field; ``param`` the HTTP query parameter, the CLI option
    (``--param``) and what a peer hub is sent; ``parse`` turns one given value into the canonical
    one (BadSearchParameter when it cannot); a ``repeatable`` filter takes many values, OR-ed;
    ``engine_field`` is the index field it matches (None for the date bounds, which match the
    record's date); a ``facet`` is also counted.
    """

    name: str
    param: str
    help: str
    parse: Callable[[str], Any]
    value_type: type = str  # what the HTTP and CLI layers accept before ``parse``
    repeatable: bool = True
    engine_field: str | None = None
    facet: bool = False


FILTERS: tuple[SearchFilter, ...] = (
    SearchFilter("type", "type", "Resource type (repeatable)", _as_given, engine_field="type", facet=True),
    SearchFilter("source", "source", "Source id (repeatable)", _as_given, engine_field="source", facet=True),
    SearchFilter(
        "country", "country", "ISO 3166-1 alpha-2 (repeatable)", _upper, engine_field="country", facet=True
    ),
    SearchFilter(
        "target",
        "target",
        "GBF target: 3 or GBF-TARGET-03 (repeatable)",
        _known(target_id, "GBF target", "1-23 or GBF-TARGET-NN"),
        engine_field="target",
        facet=True,
    ),
    SearchFilter(
        "target_basis",
        "target_basis",
        "Which targets target matches: stated (default; what the source states or names), inferred "
        "(inferred from the text, see gbf_targets_inferred) or any",
        _basis,
        repeatable=False,
    ),
    SearchFilter(
        "target_inferred",
        "target_inferred",
        "GBF target inferred from the text (repeatable; target with target_basis=inferred says the same)",
        _known(target_id, "GBF target", "1-23 or GBF-TARGET-NN"),
        engine_field="target_inferred",
    ),
    SearchFilter(
        "target_any",
        "target_any",
        "GBF target stated or inferred (repeatable; target with target_basis=any says the same)",
        _known(target_id, "GBF target", "1-23 or GBF-TARGET-NN"),
        engine_field="target_any",
    ),
    SearchFilter(
        "language", "language", "Language tag (repeatable)", _as_given, engine_field="language", facet=True
    ),
    SearchFilter("year", "year", "Year (repeatable)", _year, value_type=int, engine_field="year", facet=True),
    # Filter-only fields: indexed like facets, never counted.
    SearchFilter(
        "region",
        "region",
        "Region: M49 code, CBD group GUID or slug (repeatable)",
        _known(region_id, "region", "an M49 code, a CBD group GUID or a slug like eastern-africa"),
        engine_field="region",
    ),
    SearchFilter(
        "goal",
        "goal",
        "GBF goal: A or GBF-GOAL-A (repeatable)",
        _known(goal_id, "GBF goal", "A-D or GBF-GOAL-A"),
        engine_field="goal",
    ),
    SearchFilter(
        "indicator",
        "indicator",
        "GBF indicator code, e.g. A.1 (repeatable)",
        _known(indicator_id, "GBF indicator", "a code such as A.1 or 1.b"),
        engine_field="indicator",
    ),
    SearchFilter("date_from", "from", "Dated on or after, YYYY-MM-DD", _day("from"), repeatable=False),
    SearchFilter("date_until", "until", "Dated on or before, YYYY-MM-DD", _day("until"), repeatable=False),
)
FILTER_NAMES: tuple[str, ...] = tuple(f.name for f in FILTERS)
FACET_FIELDS: tuple[str, ...] = tuple(f.engine_field for f in FILTERS if f.engine_field and f.facet)
# Filter-only fields: indexed like facets, never counted.
EXTRA_FILTER_FIELDS: tuple[str, ...] = tuple(
    f.engine_field for f in FILTERS if f.engine_field and not f.facet
)
FILTER_FIELDS: tuple[str, ...] = (*FACET_FIELDS, *EXTRA_FILTER_FIELDS)
SORTS: tuple[str, ...] = ("relevance", "date")
COUNTS: tuple[str, ...] = ("exact", "estimate")
"""How a search counts its total and facets: ``exact`` (the default), or ``estimate``, which lets an
engine estimate them when a search matches many documents (the answer's ``counts`` says which it did)."""
COUNTS_HELP = (
    "exact (default) or estimate: an engine may estimate the total and facet counts of a search that "
    "matches many documents (the answer's counts field says which)"
)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search: free text plus exact filters; filters of one field are OR-ed, fields AND-ed.

    ``target`` takes ``GBF-TARGET-03`` identifiers; ``country`` ISO alpha-2 codes; ``year``
    four-digit years; ``region`` M49 codes or CBD group GUIDs; ``goal`` ``GBF-GOAL-A``;
    ``indicator`` GBF indicator identifiers. ``target_inferred`` matches targets inferred from the
    text (``Resource.gbf_targets_inferred``), ``target_any`` stated or inferred ones (``target``
    stays the stated ones). ``date_from``/``date_until`` (``YYYY-MM-DD``,
    inclusive) bound the record's date. ``sort`` is ``relevance`` (date as tie-break) or ``date``
    (newest first). ``counts`` is ``exact`` or ``estimate`` (``COUNTS``).
    """

    text: str = ""
    type: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    year: tuple[int, ...] = ()
    region: tuple[str, ...] = ()
    goal: tuple[str, ...] = ()
    indicator: tuple[str, ...] = ()
    target_basis: str | None = None  # applied by build_query (target moved to target_inferred/any)
    target_inferred: tuple[str, ...] = ()
    target_any: tuple[str, ...] = ()
    date_from: str | None = None
    date_until: str | None = None
    sort: Literal["relevance", "date"] = "relevance"
    after: tuple[Any, ...] | None = None  # a hit's sort_key: the page starts after it (offset ignored)
    offset: int = 0
    size: int = 10
    facets: bool = True
    counts: Literal["exact", "estimate"] = "exact"


def sort_moment(resource: Resource) -> str | None:
    """The moment a date sort orders a record by, as fixed-width UTC text ``YYYY-MM-DDTHH:MM:SSZ``:
    its publication moment (``published_at``, time of day and zone as the source gave them) as a UTC
    instant; else the start (00:00 UTC) of its date (``display_date``: published, else modified); None
    when undated. Every engine sorts by it, so entries of one day come in the order they were published."""
    if resource.published_at is not None:
        moment = resource.published_at
        if moment.tzinfo is None:  # no zone given: read as UTC
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    day = resource.display_date()
    return f"{day}T00:00:00Z" if day else None


def moment_number(moment: str | None) -> int:
    """A sort moment as the integer YYYYMMDDHHMMSS (0 when undated, so it sorts last): what the engines
    keep in a numeric column, in the same order as the moment itself."""
    return int("".join(c for c in moment if c.isdigit())) if moment else 0


def filter_terms(resource: Resource) -> dict[str, list[str]]:
    """The filter-only fields of a Resource: its regions (named, and those of its countries), GBF
    goals and indicators, and its inferred targets (alone, and with the stated ones)."""
    inferred = list(resource.gbf_targets_inferred)
    return {
        "region": list(dict.fromkeys([*resource.regions, *regions_of(resource.countries)])),
        "goal": list(dict.fromkeys(resource.gbf_goals)),
        "indicator": list(dict.fromkeys(resource.gbf_indicators)),
        "target_inferred": inferred,
        "target_any": list(dict.fromkeys([*resource.gbf_targets, *inferred])),
    }


def field_terms(resource: Resource) -> dict[str, list[Any]]:
    """A Resource's values for every filter field (``FILTER_FIELDS``): what a filter on that field is
    matched against."""
    year = resource.year()
    return {
        "type": [resource.type],
        "source": [resource.source],
        "country": list(resource.countries),
        "target": list(resource.gbf_targets),
        "language": list(resource.languages),
        "year": [] if year is None else [year],
        **filter_terms(resource),
    }


def build_query(
    text: str | None = None,
    *,
    sort: str = "relevance",
    page: int = 1,
    size: int = 10,
    counts: str = "exact",
    **values: Any,
) -> SearchQuery:
    """Validate user parameters into a SearchQuery: ``values`` by filter name (a sequence for a
    repeatable filter, one value or None otherwise), each read by its filter's ``parse``; raises
    BadSearchParameter for a parameter that cannot be understood."""
    unknown = set(values) - set(FILTER_NAMES)
    if unknown:
        raise TypeError(f"not search filters: {', '.join(sorted(unknown))}")
    fields: dict[str, Any] = {}
    for f in FILTERS:
        given = values.get(f.name)
        if f.repeatable:
            fields[f.name] = tuple(dict.fromkeys(f.parse(v) for v in given or ()))
        else:
            fields[f.name] = f.parse(given) if given else None
    basis = fields["target_basis"] or "stated"
    if basis != "stated" and fields["target"]:  # target_basis says which targets ``target`` matches
        moved = "target_inferred" if basis == "inferred" else "target_any"
        fields[moved] = tuple(dict.fromkeys([*fields[moved], *fields["target"]]))
        fields["target"] = ()
    fields["target_basis"] = None if basis == "stated" else basis  # kept: a peer is sent it too
    if fields["date_from"] and fields["date_until"] and fields["date_from"] > fields["date_until"]:
        raise BadSearchParameter("from must not be after until")
    if sort not in SORTS:
        raise BadSearchParameter("sort must be 'relevance' or 'date'")
    if not 1 <= size <= 100:
        raise BadSearchParameter("size must be between 1 and 100")
    if not 1 <= page <= MAX_PAGE:
        raise BadSearchParameter(f"page must be between 1 and {MAX_PAGE} (deeper: follow next_cursor)")
    if counts not in COUNTS:
        raise BadSearchParameter("counts must be 'exact' or 'estimate'")
    sort_value: Literal["relevance", "date"] = "date" if sort == "date" else "relevance"
    counts_value: Literal["exact", "estimate"] = "estimate" if counts == "estimate" else "exact"
    return SearchQuery(
        text=(text or "").strip(),
        sort=sort_value,
        offset=(page - 1) * size,
        size=size,
        counts=counts_value,
        **fields,
    )


def query_params(query: SearchQuery) -> list[tuple[str, str]]:
    """The query's text and filters as ``/api/search`` parameters (``q``, then each filter's
    ``param`` once per value): what a peer hub is asked, which reads them back into the same query."""
    params: list[tuple[str, str]] = [("q", query.text)] if query.text else []
    for f in FILTERS:
        value = getattr(query, f.name)
        values = value if f.repeatable else (() if value is None else (value,))
        params.extend((f.param, str(v)) for v in values)
    return params
