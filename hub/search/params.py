"""The search filters the HTTP endpoints and the command line take, read from their one declaration.

The filters themselves (name, parameter, parsing, repeatability, engine field) are declared once, in
``normalizers/search_query.py`` ``FILTERS``; this module adds what only the hub can answer: ``node``,
resolved to the sources of a node's subtree in the store.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from normalizers.search_query import FILTER_NAMES, FILTERS, BadSearchParameter, SearchQuery, build_query

if TYPE_CHECKING:  # the store only when a node filter is resolved: `gkss --help` reads the filters
    from hub.store import Store

Q_HELP = "Free text"
NODE_HELP = "Node id: the sources of that node and the nodes below it"


class SearchFilters:
    """Free text, the node filter and the declared filters as the request gave them (not yet parsed)."""

    __slots__ = ("node", "q", "values")

    def __init__(self, q: str | None = None, node: Sequence[str] = (), **values: Any) -> None:
        unknown = set(values) - set(FILTER_NAMES)
        if unknown:
            raise TypeError(f"not search filters: {', '.join(sorted(unknown))}")
        self.q = q
        self.node = tuple(node)
        self.values: dict[str, Any] = {}
        for f in FILTERS:
            given = values.get(f.name)
            self.values[f.name] = tuple(given or ()) if f.repeatable else given

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SearchFilters) and (self.q, self.node, self.values) == (
            other.q,
            other.node,
            other.values,
        )

    def __repr__(self) -> str:
        given = {k: v for k, v in self.values.items() if v}
        return f"SearchFilters(q={self.q!r}, node={self.node!r}, {given!r})"


def as_given_type(value_type: type, repeatable: bool) -> Any:
    """The annotation a framework reads for a filter: ``list[str] | None``, ``int | None`` ..."""
    inner = cast(Any, list)[value_type] if repeatable else value_type
    return inner | None


def filter_parameters(option: Any, *, alias: bool) -> list[inspect.Parameter]:
    """One keyword parameter per declared filter, its default ``option(...)`` (FastAPI's ``Query`` with
    the parameter as its alias, or typer's ``Option`` named ``--param``), for generated signatures."""
    out = []
    for f in FILTERS:
        default = (
            option(None, alias=f.param, description=f.help)
            if alias
            else option(None, f"--{f.param.replace('_', '-')}", help=f.help)
        )
        annotation = as_given_type(f.value_type, f.repeatable)
        out.append(
            inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        )
    return out


def filters_from(q: str | None, node: Sequence[str] | None = None, **given: Any) -> SearchFilters:
    """SearchFilters from optional values by filter name (the HTTP query string's and the CLI's options)."""
    return SearchFilters(q=q, node=tuple(node or ()), **given)


def filters_query(
    filters: SearchFilters,
    *,
    sort: str = "relevance",
    page: int = 1,
    size: int = 10,
    counts: str = "exact",
    store: Store | None = None,
) -> SearchQuery:
    """The SearchQuery for these filters, ``node`` resolved to its sources in ``store``; raises
    BadSearchParameter for a parameter that cannot be understood."""
    values = dict(filters.values)
    if filters.node:
        from hub.store.nodes import node_sources
        from registry.nodes import NodeError

        if store is None:
            raise BadSearchParameter("node filters need the hub's store")
        try:
            values["source"] = node_sources(store, filters.node, within=values["source"])
        except NodeError as exc:
            raise BadSearchParameter(str(exc)) from None
    return build_query(filters.q, sort=sort, page=page, size=size, counts=counts, **values)


def filters_of_params(params: Mapping[str, list[str]]) -> SearchFilters:
    """The filters a feed URL's query string carries (``parse_qs`` form), as the endpoints read them."""
    values: dict[str, Any] = {}
    for f in FILTERS:  # parsed, each by its filter, when the query is built
        given = params.get(f.param, [])
        values[f.name] = tuple(given) if f.repeatable else next(iter(given), None)
    return SearchFilters(q=" ".join(params.get("q", [])) or None, node=params.get("node", []), **values)
