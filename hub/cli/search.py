"""`gkss search`: the hub's index (or the federation's, --federated), its filter options read from the
one declaration of the search filters."""

from __future__ import annotations

import inspect
import json
from typing import Annotated, Any

import typer

from hub.cli.common import fail, open_cli_hub
from hub.cli.federation import federated_cli_search
from hub.search.params import NODE_HELP, filter_parameters, filters_from, filters_query
from normalizers.search_query import COUNTS_HELP, BadSearchParameter


def search(
    query: Annotated[str | None, typer.Argument(metavar="[QUERY]", help="Free text")] = None,
    node: Annotated[list[str] | None, typer.Option(help=NODE_HELP)] = None,
    sort: Annotated[str, typer.Option(help="relevance or date")] = "relevance",
    page: Annotated[int, typer.Option(help="Page number")] = 1,
    size: Annotated[int, typer.Option(help="Results per page")] = 10,
    counts: Annotated[str, typer.Option(help=COUNTS_HELP)] = "exact",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
    federated: Annotated[bool, typer.Option("--federated", help="Also search every peer hub")] = False,
    **given: Any,
) -> None:
    """Search the hub's index."""
    from hub.search.results import page_json

    filters = filters_from(query, node=node, **given)
    hub = open_cli_hub()
    try:
        try:
            search_query = filters_query(
                filters, sort=sort, page=page, size=size, counts=counts, store=hub.store
            )
        except BadSearchParameter as exc:
            raise fail(str(exc), 2) from None
        if federated:
            data = federated_cli_search(hub, search_query)
        else:
            data = page_json(hub.index.search(search_query), search_query)
    finally:
        hub.close()
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    about = "about " if data.get("counts") == "estimated" else ""
    typer.echo(f"{about}{data['total']} results")
    for item in data["results"]:
        typer.echo(f"- {item['title']}  [{item['source']} · {item['type']} · {item['date'] or 'undated'}]")
        if item["url"]:
            typer.echo(f"  {item['url']}")


def _with_filter_options() -> None:
    """``search``'s signature as typer reads it: the fixed parameters, then one option per filter."""
    fixed = [
        p for p in inspect.signature(search, eval_str=True).parameters.values() if p.kind is not p.VAR_KEYWORD
    ]
    fixed = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) if p.name != "query" else p for p in fixed]
    query, rest = fixed[0], fixed[1:]
    parameters = [query, *filter_parameters(typer.Option, alias=False), *rest]
    search.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    search.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": None}


_with_filter_options()
