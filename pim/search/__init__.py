"""Full-text and faceted product search: one interface for the API, the web UI and the CLI
(``pim.search.service``), an SQL backend (SQLite FTS5, PostgreSQL tsvector) and Meilisearch,
kept current by the dirty flag and a batched job (``pim.search.indexing``)."""

from pim.search.query import (
    BASE_FACETS,
    BASE_FILTERS,
    CHANNEL_FACETS,
    COMPLETENESS_BANDS,
    SORTS,
    FacetCount,
    SearchFilters,
    SearchHit,
    SearchQuery,
    SearchResult,
    band_filters,
    band_of,
)
from pim.search.service import (
    attribute_fields,
    build_query,
    delete,
    get_backend,
    health,
    index,
    index_pending,
    reindex,
    search,
)

__all__ = [
    "BASE_FACETS", "BASE_FILTERS", "CHANNEL_FACETS", "COMPLETENESS_BANDS", "SORTS",
    "FacetCount", "SearchFilters", "SearchHit", "SearchQuery", "SearchResult",
    "attribute_fields", "band_filters", "band_of", "build_query", "delete", "get_backend", "health",
    "index", "index_pending", "reindex", "search",
]
