"""Choose the search backend from GKSS_SEARCH_URL: embedded FTS5 unless a cluster URL is given."""

from __future__ import annotations

from pathlib import Path

from hub.search.base import SearchIndex
from hub.search.sqlite_fts import SqliteFtsIndex


def open_index(search_url: str | None, home: Path) -> SearchIndex:
    """``None``/``""`` -> FTS5 at ``home/index.sqlite``; ``sqlite:///path``; ``http(s)://`` -> cluster."""
    if not search_url:
        return SqliteFtsIndex(home / "index.sqlite")
    if search_url.startswith("sqlite:///"):
        return SqliteFtsIndex(search_url.removeprefix("sqlite:///") or ":memory:")
    if search_url.startswith(("http://", "https://")):
        raise NotImplementedError("the Elasticsearch/OpenSearch backend is not built yet")
    raise ValueError(f"GKSS_SEARCH_URL must be sqlite:///PATH or an http(s) URL, got {search_url!r}")
