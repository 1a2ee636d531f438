"""Search cursors: a page's last sort key, signed and bound to its search (keyset paging of /api/search)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from hub.search.base import SearchQuery
from hub.search.results import BadSearchParameter
from hub.settings import Settings
from hub.tokens import BadToken, TokenCodec, token_key
from normalizers.search_query import FILTER_NAMES

_VERSION = 1
# What may not change between the pages of one search: its text, sort and every declared filter
# (offset, size, after and facets may).
_SEARCH = ("text", "sort", *FILTER_NAMES)


@functools.lru_cache(maxsize=16)
def _codec(home: Path, secret: str | None) -> TokenCodec:
    """The codec of a hub's key (its key file is made once: read once per process)."""
    return TokenCodec(token_key(Settings(home=home, oai_token_secret=secret)))


def _codec_of(settings: Settings) -> TokenCodec:
    return _codec(Path(settings.home), settings.oai_token_secret)


def _search_of(query: SearchQuery) -> str:
    """A digest of what the search asks, whatever the page."""
    fields = {name: getattr(query, name) for name in _SEARCH}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=list).encode()).hexdigest()[:32]


def next_cursor(settings: Settings, query: SearchQuery, sort_key: tuple[Any, ...]) -> str:
    """The cursor that continues ``query`` after the hit with ``sort_key``."""
    return _codec_of(settings).seal({"v": _VERSION, "q": _search_of(query), "k": list(sort_key)})


def cursor_after(settings: Settings, query: SearchQuery, cursor: str) -> SearchQuery:
    """``query`` continued after the cursor's hit; BadSearchParameter for a cursor that is forged,
    damaged, or made for another search."""
    try:
        data = _codec_of(settings).unseal(cursor)
    except BadToken as exc:
        raise BadSearchParameter(f"bad cursor: {exc}") from None
    if not isinstance(data, dict) or data.get("v") != _VERSION or not isinstance(data.get("k"), list):
        raise BadSearchParameter("bad cursor: not a search cursor")
    if data.get("q") != _search_of(query):
        raise BadSearchParameter(
            "bad cursor: it belongs to another search (the filters, text or sort differ)"
        )
    return dataclasses.replace(query, after=tuple(data["k"]), offset=0)
