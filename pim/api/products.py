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
from litestar.params import Parameter
from litestar.response import Stream
from litestar.types import ASGIApp, Scope

from pim.api.openapi import IfNoneMatchOperation, NdjsonBodyOperation, problems
from pim.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, encode_cursor
from pim.api.product_query import ProductFilters, list_product_models, list_products
from pim.api.product_writes import (
    BULK_BATCH,
    association_body,
    create_product,
    numbered_lines,
    patch_product,
    to_record,
    write_bulk_batch,
)
from pim.api.schemas import (
    HistoryEntryOut,
    ProductModelIn,
    ProductModelOut,
    ProductPatch,
    RestoreIn,
)
from pim.auth.actor import READ, WRITE_CONTENT
from pim.catalog.product_models import write_product_models
from pim.catalog.read import fetch_product_json, get_product, get_product_model
from pim.catalog.schemas import AssociationIn, ProductIn, ProductOut
from pim.catalog.versions import product_history, restore_product
from pim.db import get_engine, read_session, reads_block_briefly, session_scope
from pim.errors import Invalid
from pim.history.service import history_out

NDJSON = "application/x-ndjson"
Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[str | None, Parameter(description="next_cursor of the previous page.")]
IfMatch = Annotated[str | None, Parameter(header="If-Match", required=False,
                                          description='The ETag read ("7"); 412 when stale.')]



def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version named by If-Match (``"7"``, ``W/"7"`` or ``7``); None for absent or ``*``.
    An ETag this API never issued matches no version: -1, so the write answers 412."""
    if header is None or header.strip() in ("", "*"):
        return None
    text = header.split(",")[0].strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() and len(text) < 10 else -1


def header_of(scope: Scope, name: bytes) -> str | None:
    """A request header's value (the first), read from the raw ASGI headers."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def none_match(header: str | None, version: int) -> bool:
    """Whether a GET's If-None-Match lets the product through (RFC 9110: weak comparison;
    ``*`` matches any stored product, so it never does)."""
    if header is None:
        return True
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return not ("*" in tags or etag(version) in tags)


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

    def to_asgi_response(self, app, request, *, headers=None, cookies=None,
                         is_head_response=False, **_ignored) -> ASGIApp:
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


def _list_page(filters: ProductFilters, after: int | None, limit: int):
    with read_session() as session:
        return list_products(session, filters, after=after, limit=limit)


# A page is mostly Python work (decoding values, building dicts), so a few threads serve
# pages as fast as the default 40 would, without 40 threads taking turns at the GIL
# (measured on SQLite with 32 clients: 4 threads, 419 pages/s, p99 150 ms; 40 threads,
# 259 pages/s, p99 274 ms).
_PAGE_READERS = anyio.CapacityLimiter(4)


@get("/products", opt={"roles": READ}, responses=problems(404, 422),
     summary="List products", tags=["products"])
async def list_products_route(
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    family: str | None = None,
    category: Annotated[str | None, Parameter(description="With its descendants.")] = None,
    enabled: bool | None = None,
    channel: Annotated[str | None, Parameter(description="For status/completeness.")] = None,
    status: str | None = None,
    completeness_below: Annotated[int | None, Parameter(ge=0, le=101)] = None,
    completeness_above: Annotated[int | None, Parameter(ge=0, le=100)] = None,
    locale: str | None = None,
    updated_since: datetime | None = None,
    q: Annotated[str | None, Parameter(description="Search text.", max_length=200)] = None,
) -> Page[ProductOut]:
    filters = ProductFilters(
        family=family, category=category, enabled=enabled, channel=channel, status=status,
        completeness_below=completeness_below, completeness_above=completeness_above,
        locale=locale, updated_since=_aware(updated_since), search=q)
    after = decode_cursor(cursor)
    items, last = await anyio.to_thread.run_sync(_list_page, filters, after, limit,
                                                 limiter=_PAGE_READERS)
    # The page leaves as built (the dicts have ProductOut's shape): validating it into
    # models first would only be undone by the serializer.
    return {"items": items, "next_cursor": encode_cursor(last) if last is not None else None,
            "limit": limit}  # type: ignore[return-value]


@post("/products", opt={"roles": WRITE_CONTENT}, sync_to_thread=True, status_code=201,
      responses=problems(409, 422), summary="Create a product", tags=["products"])
def create_product_route(request: Request, data: ProductIn) -> Response[ProductOut]:
    with session_scope() as session:
        product = create_product(session, data, request.user)
    return _product_response(product, 201)


@get("/products/{sku:str}", opt={"roles": READ}, tags=["products"],
     operation_class=IfNoneMatchOperation,
     responses={**problems(404), 304: ResponseSpec(
         None, description="Not modified: If-None-Match holds the current ETag")},
     summary="Read a product (ETag: its version; If-None-Match answers 304)")
async def get_product_route(sku: str, scope: Scope) -> Response[ProductOut]:
    if_none_match = header_of(scope, b"if-none-match")
    if reads_block_briefly(get_engine()):
        body, version = fetch_product_json(sku)
    else:
        body, version = await anyio.to_thread.run_sync(fetch_product_json, sku)
    if not none_match(if_none_match, version):
        return Response(b"", status_code=304, headers={"ETag": etag(version)})
    # Encoded already (the stored values go out as they are): no second serialization.
    return EncodedJSON(body, etag(version))


@patch("/products/{sku:str}", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
       responses=problems(404, 412, 422), tags=["products"],
       summary="Merge changes into a product (absent fields untouched, null data clears)")
def patch_product_route(request: Request, sku: str, data: ProductPatch,
                        if_match: IfMatch = None) -> Response[ProductOut]:
    expected = parse_if_match(if_match)
    with session_scope() as session:
        product = patch_product(session, sku, data, request.user, expected)
    return _product_response(product)


@post("/products/{sku:str}/disable", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=200, responses=problems(404, 412), tags=["products"],
      summary="Disable a product (products are never deleted: history keeps them)")
def disable_product_route(request: Request, sku: str, if_match: IfMatch = None
                          ) -> Response[ProductOut]:
    expected = parse_if_match(if_match)
    with session_scope() as session:
        product = patch_product(session, sku, ProductPatch(enabled=False), request.user, expected)
    return _product_response(product)


@get("/products/{sku:str}/associations", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), summary="A product's associations", tags=["products"])
def get_associations_route(sku: str) -> dict[str, list[dict[str, Any]]]:
    with read_session() as session:
        return get_product(session, sku)["associations"]


@put("/products/{sku:str}/associations", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(404, 412, 422), tags=["products"],
     summary="Replace the links of the association types given (others untouched)")
def put_associations_route(request: Request, sku: str, data: dict[str, list[AssociationIn]],
                           if_match: IfMatch = None) -> Response[ProductOut]:
    expected = parse_if_match(if_match)
    body = ProductPatch.model_validate({"associations": association_body(data)})
    with session_scope() as session:
        product = patch_product(session, sku, body, request.user, expected)
    return _product_response(product)


@get("/products/{sku:str}/history", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), summary="Every version: who, when, source, diff",
     tags=["products"])
def history_route(sku: str) -> list[HistoryEntryOut]:
    with read_session() as session:
        return [HistoryEntryOut(**history_out(e)) for e in product_history(session, sku)]


@post("/products/{sku:str}/restore", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
      status_code=200, responses=problems(404, 412, 422), tags=["products"],
      summary="Make an old version current again (as a new version)")
def restore_route(request: Request, sku: str, data: RestoreIn, if_match: IfMatch = None
                  ) -> Response[ProductOut]:
    expected = parse_if_match(if_match)
    with session_scope() as session:
        restore_product(session, sku, data.version, actor=request.user.name, source="api",
                        expected_version=expected)
        product = get_product(session, sku)
    return _product_response(product)


@patch("/products", opt={"roles": WRITE_CONTENT}, media_type=NDJSON, status_code=200,
       operation_class=NdjsonBodyOperation, responses=problems(415), tags=["products"],
       summary="Bulk upsert: NDJSON in (one product a line), one status line out per line")
async def bulk_upsert_route(request: Request) -> Stream:
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type not in (NDJSON, "application/jsonl", "application/json-seq"):
        raise HTTPException(status_code=415,
                            detail=f"send {NDJSON} (one product a line), not {content_type!r}")
    actor = request.user
    # The body is spooled first (memory up to 8 MB, then a temporary file): the streamed
    # response listens on the same ASGI channel for a disconnect, so it cannot be read later.
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (closed by the stream)
    async for chunk in request.stream():
        spool.write(chunk)
    spool.seek(0)

    async def statuses():
        try:
            batch: list[tuple[int, str]] = []
            for number, text in numbered_lines(iter(lambda: spool.read(64 * 1024), b"")):
                batch.append((number, text))
                if len(batch) >= BULK_BATCH:
                    for line in await anyio.to_thread.run_sync(write_bulk_batch, batch, actor):
                        yield json.dumps(line, default=str) + "\n"
                    batch = []
            if batch:
                for line in await anyio.to_thread.run_sync(write_bulk_batch, batch, actor):
                    yield json.dumps(line, default=str) + "\n"
        finally:
            spool.close()

    return Stream(statuses(), media_type=NDJSON)


@get("/product-models", opt={"roles": READ}, sync_to_thread=True, responses=problems(),
     summary="List product models", tags=["product models"])
def list_models_route(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
                      family: str | None = None) -> Page[ProductModelOut]:
    after = decode_cursor(cursor)
    with read_session() as session:
        items, last = list_product_models(session, family=family, after=after, limit=limit)
    return Page[ProductModelOut](items=items, limit=limit,
                                 next_cursor=encode_cursor(last) if last is not None else None)


@get("/product-models/{code:str}", opt={"roles": READ}, sync_to_thread=True,
     responses=problems(404), summary="Read a product model", tags=["product models"])
def get_model_route(code: str) -> ProductModelOut:
    with read_session() as session:
        return ProductModelOut(**get_product_model(session, code))


@put("/product-models/{code:str}", opt={"roles": WRITE_CONTENT}, sync_to_thread=True,
     responses=problems(404, 422), tags=["product models"],
     summary="Create or merge-update a product model")
def put_model_route(request: Request, code: str, data: ProductModelIn) -> ProductModelOut:
    record = to_record(code, ProductPatch(values=data.values, categories=data.categories,
                                          family=data.family, parent=data.parent))
    record.kind, record.family_variant = "product_model", data.family_variant
    with session_scope() as session:
        [result] = write_product_models(session, [record], actor=request.user.name,
                                        source="api")
        if not result.ok:
            from pim.api.problems import refused_errors

            errors = refused_errors(result.errors, record.values)
            raise Invalid(f"{code} refused: " + "; ".join(e["message"] for e in errors),
                          errors=errors)
        return ProductModelOut(**get_product_model(session, code))


ROUTES = [
    list_products_route, create_product_route, bulk_upsert_route, get_product_route,
    patch_product_route, disable_product_route, get_associations_route, put_associations_route,
    history_route, restore_route, list_models_route, get_model_route, put_model_route,
]
