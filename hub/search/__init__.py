"""Search backends behind one SearchIndex protocol: SQLite FTS5 (embedded), Elasticsearch and OpenSearch."""

from hub.search.base import FACET_FIELDS, Hit, SearchIndex, SearchPage, SearchQuery

__all__ = ["FACET_FIELDS", "Hit", "SearchIndex", "SearchPage", "SearchQuery"]
