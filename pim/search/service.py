"""The one interface the API, the web UI and the CLI search through.

``search(session, query)`` answers a ``SearchQuery`` with a ``SearchResult`` from the
configured backend; ``index`` and ``delete`` update documents now (jobs use them; requests
never: a write marks its products dirty and the batched job indexes them); ``reindex``
rebuilds everything; ``health`` says whether the backend answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from pim.catalog.models import Attribute, Product
from pim.catalog.read import PAGE_COLUMNS, products_out
from pim.search.backend import SearchBackend
from pim.search.documents import BRAND
from pim.search.indexing import Progress, index_dirty, index_products, reindex_all
from pim.search.query import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    SearchQuery,
    SearchResult,
    check_sort,
    parse_facets,
    parse_filters,
)
from pim.search.settings import get_search_settings
from pim.search.sql import SqlBackend

_backends: dict[tuple[str | None, str | None, str], SearchBackend] = {}


def get_backend() -> SearchBackend:
    """Meilisearch when ``PIM_MEILISEARCH_URL`` is set, else the SQL backend."""
    settings = get_search_settings()
    key = (settings.url, settings.key, settings.index)
    backend = _backends.get(key)
    if backend is None:
        if settings.url:
            # The client loads only where Meilisearch is configured.
            from pim.search.meili import MeilisearchBackend

            backend = MeilisearchBackend.from_settings(settings)
        else:
            backend = SqlBackend()
        _backends[key] = backend
    return backend


def search(session: Session, query: SearchQuery) -> SearchResult:
    return get_backend().search(session, query)


def index(session: Session, product_ids: Sequence[int]) -> int:
    """Index these products now, in ``session``'s transaction (ids of deleted products
    are removed from the index)."""
    return index_products(session, get_backend(), list(product_ids))


def delete(session: Session, product_ids: Sequence[int]) -> None:
    get_backend().delete(session, list(product_ids))


def index_pending(factory: sessionmaker[Session]) -> int:
    """Index every product marked dirty (what the ``search.index`` job runs)."""
    return index_dirty(factory, get_backend())


def reindex(factory: sessionmaker[Session], progress: Progress | None = None) -> dict:
    """Rebuild every document (what ``pim search reindex`` runs, as a job)."""
    return reindex_all(factory, get_backend(), progress)


def health(session: Session) -> dict[str, Any]:
    try:
        return get_backend().health(session)
    except Exception as error:  # a health check reports, it does not raise
        return {"backend": get_backend().name, "ok": False, "error": str(error)}


def attribute_fields(session: Session) -> list[str]:
    """The attribute codes usable as facets and filters (select, multiselect, brand)."""
    return list(session.scalars(select(Attribute.code).where(or_(
        Attribute.type.in_(("select", "multiselect")), Attribute.code == BRAND))
        .order_by(Attribute.code)))


def build_query(session: Session, *, text: str | None = None,
                filters: Mapping[str, str | Iterable[str]] | None = None,
                facets: str | Iterable[str] | None = None, sort: str | None = None,
                limit: int = DEFAULT_LIMIT, cursor: str | None = None) -> SearchQuery:
    """A ``SearchQuery`` from what a person typed; unknown filters, facets and sorts are
    refused (``Invalid``, a 422 naming them)."""
    fields = attribute_fields(session) if (filters or facets) else []
    return SearchQuery(
        text=text or "", filters=parse_filters(filters or {}, fields),
        facets=parse_facets(facets, fields), sort=check_sort(sort),
        limit=max(1, min(limit, MAX_LIMIT)), cursor=cursor)


def search_products(session: Session, query: SearchQuery
                    ) -> tuple[list[dict[str, Any]], SearchResult]:
    """A search whose items are whole products (ProductOut dicts, in the search's order):
    the product list's ``search=``, whose page has no total (none is counted)."""
    result = search(session, replace(query, count_total=False))
    ids = [hit.product_id for hit in result.items]
    if not ids:
        return [], result
    rows = {row.id: row for row in session.execute(
        select(*PAGE_COLUMNS).where(Product.id.in_(ids)))}
    ordered = [rows[i] for i in ids if i in rows]
    return products_out(session, ordered), result
