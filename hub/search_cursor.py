"""Search cursors: a page's last sort key, signed and bound to its search (keyset paging of /api/search)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from hub.oai.tokens import BadToken, TokenCodec, token_key
from hub.results import BadSearchParameter
from hub.search.base import SearchQuery
from hub.settings import Settings

_VERSION = 1
_PAGING = ("offset", "size", "after", "facets")  # what may change between the pages of one search


def _search_of(query: SearchQuery) -> str:
    """A digest of what the search asks, whatever the page."""
    fields = {f.name: getattr(query, f.name) for f in dataclasses.fields(query) if f.name not in _PAGING}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=list).encode()).hexdigest()[:32]


def next_cursor(settings: Settings, query: SearchQuery, sort_key: tuple[Any, ...]) -> str:
    """The cursor that continues ``query`` after the hit with ``sort_key``."""
    return TokenCodec(token_key(settings)).seal({"v": _VERSION, "q": _search_of(query), "k": list(sort_key)})


def cursor_after(settings: Settings, query: SearchQuery, cursor: str) -> SearchQuery:
    """``query`` continued after the cursor's hit; BadSearchParameter for a cursor that is forged,
    damaged, or made for another search."""
    try:
        data = TokenCodec(token_key(settings)).unseal(cursor)
    except BadToken as exc:
        raise BadSearchParameter(f"bad cursor: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != _VERSION or not isinstance(data.get("k"), list):
        raise BadSearchParameter("bad cursor: not a search cursor")
    if data.get("q") != _search_of(query):
        raise BadSearchParameter(
            "bad cursor: it belongs to another search (the filters, text or sort differ)"
        )
    return dataclasses.replace(query, after=tuple(data["k"]), offset=0)
