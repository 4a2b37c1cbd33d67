"""``GET /search``: full-text and faceted product search (``pim.search``).

Every filter is a query parameter; select attributes (and ``brand``) filter by option code
under their own name (``colour=red,navy``). A parameter the search does not know, a facet
it does not have or a sort it cannot do is a 422 naming it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import anyio.to_thread
from litestar import Request, get
from litestar.params import FromQuery, QueryParameter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from pim.api.openapi import problems
from pim.api.sessions import ReadSession
from pim.auth.actor import READ
from pim.search import SORTS, SearchResult, build_query, search

# Parameters that are not filters; every other one is a filter (or a 422).
_CONTROLS = ("q", "facets", "sort", "limit", "cursor")


class FacetValueOut(BaseModel):
    value: str
    count: int


class SearchHitOut(BaseModel):
    sku: str
    family: str | None
    enabled: bool
    labels: dict[str, str] = Field(description='The name per locale ("" when not localizable).')
    created_at: datetime
    updated_at: datetime
    match: str | None = Field(description="Why it matched: sku (exact SKU or identifier), "
                              "prefix, fragment, text; null without a query.")


class SearchOut(BaseModel):
    items: list[SearchHitOut]
    total: int = Field(description="Exact when total_exact; else a lower bound (more than).")
    total_exact: bool
    facets: dict[str, list[FacetValueOut]]
    next_cursor: str | None
    limit: int


def _run(reader: Session, request_params: dict[str, list[str]], q: str | None,
         facets: str | None, sort: str | None, limit: int, cursor: str | None) -> SearchResult:
    filters = {name: values for name, values in request_params.items()
               if name not in _CONTROLS}
    query = build_query(reader, text=q, filters=filters, facets=facets, sort=sort,
                        limit=limit, cursor=cursor)
    return search(reader, query)


@get("/search", opt={"roles": READ}, responses=problems(404, 422), tags=["search"],
     summary="Search products: text, filters, facet counts, sort, cursor pages")
async def search_route(
    request: Request,
    reader: ReadSession,
    q: Annotated[str | None, QueryParameter(
        description="Words, a SKU or GTIN (whole or a fragment); empty lists by recency. "
        "Never syntax.")] = None,
    family: Annotated[str | None, QueryParameter(description="Comma-separated: any of.")] = None,
    category: Annotated[str | None, QueryParameter(
        description="Comma-separated, each with its descendants.")] = None,
    channel: Annotated[str | None, QueryParameter(
        description="What status, completeness, has_errors and "
        "changed_since_published refer to.")] = None,
    status: Annotated[str | None, QueryParameter(
        description="Workflow statuses in `channel`, comma-separated.")] = None,
    completeness_below: Annotated[int | None, QueryParameter(ge=0, le=101)] = None,
    completeness_above: Annotated[int | None, QueryParameter(ge=0, le=100)] = None,
    locale: Annotated[str | None, QueryParameter(description="Narrows completeness.")] = None,
    enabled: FromQuery[bool | None] = None,
    has_errors: FromQuery[bool | None] = None,
    changed_since_published: FromQuery[bool | None] = None,
    updated_since: FromQuery[datetime | None] = None,
    facets: Annotated[str | None, QueryParameter(
        description="Comma-separated: family, category, enabled, select attributes or "
        "brand by code, and in `channel` (needed) status, completeness (band of the lowest "
        "locale: complete, high, mid, low) and has_errors.")] = None,
    sort: Annotated[str | None, QueryParameter(
        description=f"One of {', '.join(SORTS)}; default: relevance with `q`, "
        "-updated_at without.")] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, QueryParameter(
        description="next_cursor of the previous page.")] = None,
) -> SearchOut:
    params = {name: request.query_params.getall(name) for name in request.query_params}
    result = await anyio.to_thread.run_sync(_run, reader, params, q, facets, sort, limit,
                                            cursor)
    return SearchOut(
        items=[SearchHitOut(sku=h.sku, family=h.family, enabled=h.enabled, labels=h.labels,
                            created_at=h.created_at, updated_at=h.updated_at, match=h.match)
               for h in result.items],
        total=result.total, total_exact=result.total_exact,
        facets={name: [FacetValueOut(value=f.value, count=f.count) for f in counts]
                for name, counts in result.facets.items()},
        next_cursor=result.next_cursor, limit=limit)


ROUTES = [search_route]
