"""Search: the engines behind one SearchIndex protocol (an embedded Tantivy index by default,
Elasticsearch or OpenSearch on a cluster), the search parameters, cursors and result JSON, the result
caches, and index upkeep from the store."""

from hub.search.base import FACET_FIELDS, Hit, SearchIndex, SearchPage, SearchQuery

__all__ = ["FACET_FIELDS", "Hit", "SearchIndex", "SearchPage", "SearchQuery"]
