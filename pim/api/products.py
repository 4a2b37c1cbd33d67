"""Products and product models: list, read, create, merge-patch, bulk upsert, disable,
associations, history and restore.

ETags are the product version (``"7"``). ``If-Match`` on PATCH, disable and restore is
optional but honoured: a stale one answers 412 with the current ETag; without it the write
applies to whatever version is current (last writer wins, as for the UI).
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from typing import Annotated, Any

import anyio.to_thread
from litestar import MediaType, Request, Response, get, patch, post, put
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, PathParameter, QueryParameter
from litestar.response import Stream
from litestar.types import ASGIApp, Scope
from sqlalchemy.orm import Session

from pim.api.conditions import etag, if_match_condition, none_match
from pim.api.filters import one_of
from pim.api.ndjson import NdjsonLines
from pim.api.openapi import (
    IfMatchOperation,
    IfNoneMatchOperation,
    NdjsonBodyOperation,
    problems,
)
from pim.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from pim.api.schemas import HistoryEntryOut, ProductModelOut, RestoreIn
from pim.api.sessions import ReadSession, WriteSession
from pim.auth.actor import READ, WRITE_CONTENT
from pim.catalog.edits import (
    BULK_BATCH,
    create_product,
    patch_product,
    put_product_model,
    refused_line,
    replace_associations,
    write_bulk_lines,
)
from pim.catalog.listing import ProductFilters, list_product_models
from pim.catalog.read import fetch_product_json, get_product, get_product_model
from pim.catalog.schemas import (
    AssociationIn,
    AssociationOut,
    ProductIn,
    ProductModelIn,
    ProductOut,
    ProductPatch,
)
from pim.catalog.versions import VersionCondition, product_history, restore_product
from pim.db import get_engine, reads_block_briefly
from pim.history.service import history_out
from pim.search.service import build_query, search_products
from pim.workflow.listing import ChannelFilters, list_products
from pim.workflow.models import WORKFLOW_STATUSES

SOURCE = "api"  # the history source of the API's writes
NDJSON = "application/x-ndjson"
_SPOOL_WRITE_BYTES = 1024 * 1024
Sku = Annotated[str, PathParameter(
    description="The product's SKU as one path segment, percent-encoded: a SKU stored "
    "before the SKU alphabet may hold a '/', sent as %2F (OLD%2F1).")]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[str | None, QueryParameter(description="next_cursor of the previous page.")]


def headers_of(scope: Scope, name: bytes) -> list[str]:
    """A request header's values (one per header line), read from the raw ASGI headers."""
    return [value.decode("latin-1") for key, value in scope["headers"] if key == name]


def if_match(request: Request) -> VersionCondition | None:
    return if_match_condition(request.headers.getall("if-match", []))


def _product_response(product: dict[str, Any], status: int = 200) -> Response:
    return Response(product, status_code=status, headers={"ETag": etag(product["version"])})


class EncodedJSON(Response):
    """A 200 JSON response whose body is encoded already, with an ETag.

    The product GET's response: Litestar's Response would re-merge and re-encode its
    headers through mapping types on the way out (a tenth of the request); this one hands
    the server a prebuilt header list. Layer headers and cookies still apply (the API sets
    none today)."""

    def __init__(self, body: bytes, etag: str):
        self.body = body
        self.etag = etag
        self.status_code = 200
        self.background = None
        self.cookies = []
        self.headers = {}

    # The signature Litestar calls with; the answer is a prebuilt ASGI app (_Sent), not an
    # ASGIResponse: that is the point of this class.
    def to_asgi_response(self, app, request, *, headers=None,  # type: ignore[override]
                         cookies=None, is_head_response=False, **_ignored) -> ASGIApp:
        if headers or cookies:
            return Response(self.body, media_type=MediaType.JSON, headers={
                **(headers or {}), "ETag": self.etag}, cookies=list(cookies or ())
                ).to_asgi_response(None, request, is_head_response=is_head_response)
        return _Sent([(b"content-type", b"application/json"),
                      (b"content-length", str(len(self.body)).encode()),
                      (b"etag", self.etag.encode())],
                     b"" if is_head_response else self.body)


class _Sent:
    __slots__ = ("headers", "body")

    def __init__(self, headers: list[tuple[bytes, bytes]], body: bytes):
        self.headers = headers
        self.body = body

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _list_page(reader: Session, filters: ProductFilters, channel: ChannelFilters,
               after: int | None, limit: int):
    return list_products(reader, filters, channel, after=after, limit=limit)


def _search_page(reader: Session, text: str, filters: dict[str, str], limit: int,
                 cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    query = build_query(reader, text=text, filters=filters, limit=limit, cursor=cursor)
    items, result = search_products(reader, query)
    return items, result.next_cursor


# A page is mostly Python work (decoding values, building dicts), so a few threads serve
# pages as fast as the default 40 would, without 40 threads taking turns at the GIL
# (measured on SQLite with 32 clients: 4 threads, 419 pages/s, p99 150 ms; 40 threads,
# 259 pages/s, p99 274 ms).
_PAGE_READERS = anyio.CapacityLimiter(4)


@get("/products", opt={"roles": READ}, responses=problems(404, 422),
     summary="List products", tags=["products"])
async def list_products_route(
    reader: ReadSession,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    family: FromQuery[str | None] = None,
    category: Annotated[str | None, QueryParameter(description="With its descendants.")] = None,
    enabled: FromQuery[bool | None] = None,
    channel: Annotated[str | None, QueryParameter(
        description="For status/completeness.")] = None,
    status: Annotated[str | None, one_of(
        WORKFLOW_STATUSES, "The products in this status in `channel` (a product the "
        "channel has no status for is a draft); 422 for another.")] = None,
    completeness_below: Annotated[int | None, QueryParameter(ge=0, le=101)] = None,
    completeness_above: Annotated[int | None, QueryParameter(ge=0, le=100)] = None,
    locale: FromQuery[str | None] = None,
    updated_since: FromQuery[datetime | None] = None,
    search: Annotated[str | None, QueryParameter(
        description="Search text (words, a SKU or GTIN, whole or a fragment): the page is "
        "then ranked by relevance, as GET /search ranks it, and its cursor is the search's.",
        max_length=1000)] = None,
    q: Annotated[str | None, QueryParameter(description="The same as `search`.",
                                            max_length=1000)] = None,
) -> Page[ProductOut]:
    text = search if search is not None else q
    if text is not None and text.strip():
        by_search = {"family": family, "category": category, "enabled": enabled,
                     "channel": channel, "status": status, "locale": locale,
                     "completeness_below": completeness_below,
                     "completeness_above": completeness_above,
                     "updated_since": updated_since.isoformat() if updated_since else None}
        found, next_cursor = await anyio.to_thread.run_sync(
            _search_page, reader, text, {k: str(v) for k, v in by_search.items()
                                         if v is not None}, limit, cursor,
            limiter=_PAGE_READERS)
        return {"items": found, "next_cursor": next_cursor,
                "limit": limit}  # type: ignore[return-value]
    filters = ProductFilters(family=family, category=category, enabled=enabled,
                             updated_since=_aware(updated_since))
    by_channel = ChannelFilters(channel=channel, status=status,
                                completeness_below=completeness_below,
                                completeness_above=completeness_above, locale=locale)
    after = decode_cursor(cursor)
    items, last = await anyio.to_thread.run_sync(_list_page, reader, filters, by_channel,
                                                 after, limit, limiter=_PAGE_READERS)
    # The page leaves as built (the dicts have ProductOut's shape): validating it into
    # models first would only be undone by the serializer.
    return {"items": items, "next_cursor": encode_cursor(last) if last is not None else None,
            "limit": limit}  # type: ignore[return-value]


@post("/products", opt={"roles": WRITE_CONTENT}, sync_to_thread=True, status_code=201,
      responses=problems(409, 422), summary="Create a product", tags=["products"])
def create_product_route(request: Request, data: JSONBody[ProductIn],
                         session: WriteSession) -> Response[ProductOut]:
    return _product_response(create_product(session, data, request.user, source=SOURCE), 201)


@get("/products/{sku:str}", opt={"roles": READ}, tags=["products"],
     operation_class=IfNoneMatchOperation,
     responses={**problems(404), 304: ResponseSpec(
         None, description="Not modified: If-None-Match holds the current ETag")},
     summary="Read a product (ETag: its version; If-None-Match answers 304)")
async def get_product_route(sku: Sku, scope: Scope) -> Response[ProductOut]:
    # The API's hottest path takes no injected session: on SQLite it is one statement on
    # the serving thread's own connection, run right here on the event loop (faster than a
    # hop to a worker thread), and its stored values go out as they are (see
    # pim.catalog.read.fetch_product_json). Other engines read in a thread.
    if_none_match = headers_of(scope, b"if-none-match")
    if reads_block_briefly(get_engine()):
        body, version = fetch_product_json(sku)
    else:
        body, version = await anyio.to_thread.run_sync(fetch_product_json, sku)
    if not none_match(if_none_match, version):
        return Response(b"", status_code=304,  # type: ignore[arg-type]
                        headers={"ETag": etag(version)})  # (a 304 has no body)
    # Encoded already (the stored values go out as they are): no second serialization.
    return EncodedJSON(body, etag(version))


@patch("/products/{sku:str}", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
       responses=problems(404, 412, 422), tags=["products"], operation_class=IfMatchOperation,
       summary="Merge changes into a product (absent fields untouched, null data clears)")
def patch_product_route(request: Request, sku: Sku, data: JSONBody[ProductPatch],
                        session: WriteSession) -> Response[ProductOut]:
    return _product_response(patch_product(session, sku, data, request.user,
                                           if_match(request), source=SOURCE))


@post("/products/{sku:str}/disable", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=200, responses=problems(404, 412), tags=["products"],
      operation_class=IfMatchOperation,
      summary="Disable a product (products are never deleted: history keeps them)")
def disable_product_route(request: Request, sku: Sku, session: WriteSession
                          ) -> Response[ProductOut]:
    return _product_response(patch_product(session, sku, ProductPatch(enabled=False),
                                           request.user, if_match(request), source=SOURCE))


@get("/products/{sku:str}/associations", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), summary="A product's associations", tags=["products"])
def get_associations_route(sku: Sku, reader: ReadSession) -> dict[str, list[AssociationOut]]:
    return get_product(reader, sku)["associations"]


@put("/products/{sku:str}/associations", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(404, 412, 422), tags=["products"], operation_class=IfMatchOperation,
     summary="Replace the links of the association types given (others untouched)")
def put_associations_route(request: Request, sku: Sku,
                           data: JSONBody[dict[str, list[AssociationIn]]],
                           session: WriteSession) -> Response[ProductOut]:
    return _product_response(replace_associations(session, sku, data, request.user,
                                                  if_match(request), source=SOURCE))


@get("/products/{sku:str}/history", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), summary="Every version: who, when, source, diff",
     tags=["products"])
def history_route(sku: Sku, reader: ReadSession) -> list[HistoryEntryOut]:
    return [HistoryEntryOut(**history_out(e)) for e in product_history(reader, sku)]


@post("/products/{sku:str}/restore", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=200, responses=problems(404, 412, 422), tags=["products"],
      operation_class=IfMatchOperation,
      summary="Make an old version current again (as a new version)")
def restore_route(request: Request, sku: Sku, data: JSONBody[RestoreIn],
                  session: WriteSession) -> Response[ProductOut]:
    restore_product(session, sku, data.version, actor=request.user.name, source=SOURCE,
                    condition=if_match(request))
    return _product_response(get_product(session, sku))


@patch("/products", opt={"roles": WRITE_CONTENT, "body": "bulk"}, media_type=NDJSON,
       status_code=200,
       operation_class=NdjsonBodyOperation, responses=problems(415), tags=["products"],
       summary="Bulk upsert: NDJSON in (one product a line), one status line out per line")
async def bulk_upsert_route(request: Request) -> Stream:
    # No injected session: the lines are written in batches of BULK_BATCH, one transaction
    # each, while the answer streams (pim.catalog.edits.write_bulk_lines).
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in (NDJSON, "application/jsonl", "application/json-seq"):
        raise HTTPException(status_code=415,
                            detail=f"send {NDJSON} (one product a line), not {content_type!r}")
    actor = request.user
    # The body is spooled first (memory up to 8 MB, then a temporary file): the streamed
    # response listens on the same ASGI channel for a disconnect, so it cannot be read later.
    # Its size is bounded by PIM_API_MAX_BULK_BYTES (pim.api.limits: 413 beyond it).
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed by the stream)
    pending: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            pending.append(chunk)
            size += len(chunk)
            if size >= _SPOOL_WRITE_BYTES:  # written in a worker thread, a mebibyte at a time
                await anyio.to_thread.run_sync(spool.write, b"".join(pending))
                pending, size = [], 0
        spool.write(b"".join(pending))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    lines = NdjsonLines(spool)

    def next_statuses() -> str:
        # Reading, parsing, writing and answering a batch all happen here, in a worker
        # thread: the event loop only relays the status lines.
        batch = lines.read(BULK_BATCH)
        refused = [line for line in batch if line.text is None]
        statuses = write_bulk_lines([(line.number, line.text) for line in batch
                                     if line.text is not None], actor, source=SOURCE)
        if refused:
            statuses += [refused_line(line.number, line.refusal or "refused")
                         for line in refused]
            statuses.sort(key=lambda status: status["line"])
        return "".join(json.dumps(status, default=str) + "\n" for status in statuses)

    async def statuses():
        try:
            while True:
                answer = await anyio.to_thread.run_sync(next_statuses)
                if not answer:  # the end of the body
                    break
                yield answer
        finally:
            spool.close()

    return Stream(statuses(), media_type=NDJSON)


@get("/product-models", opt={"roles": READ}, sync_to_thread=True, responses=problems(),
     summary="List product models", tags=["product models"])
def list_models_route(reader: ReadSession, limit: Limit = DEFAULT_LIMIT,
                      cursor: Cursor = None, family: FromQuery[str | None] = None
                      ) -> Page[ProductModelOut]:
    items, last = list_product_models(reader, family=family, after=decode_cursor(cursor),
                                      limit=limit)
    return Page[ProductModelOut](items=items, limit=limit,
                                 next_cursor=encode_cursor(last) if last is not None else None)


@get("/product-models/{code:str}", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), summary="Read a product model", tags=["product models"])
def get_model_route(code: FromPath[str], reader: ReadSession) -> ProductModelOut:
    return ProductModelOut(**get_product_model(reader, code))


@put("/product-models/{code:str}", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(404, 422), tags=["product models"],
     summary="Create or merge-update a product model")
def put_model_route(request: Request, code: FromPath[str], data: JSONBody[ProductModelIn],
                    session: WriteSession) -> ProductModelOut:
    return ProductModelOut(**put_product_model(session, code, data, request.user,
                                               source=SOURCE))


ROUTES = [
    list_products_route, create_product_route, bulk_upsert_route, get_product_route,
    patch_product_route, disable_product_route, get_associations_route, put_associations_route,
    history_route, restore_route, list_models_route, get_model_route, put_model_route,
]
