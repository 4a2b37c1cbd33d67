"""OpenAPI helpers: the problem responses every route documents, custom request bodies and
responses, and each operation's ``operationId``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import PathParameter

from exporters import FORMATS
from pim.api.problems import PROBLEM_JSON, Problem
from pim.db import INT_MAX

# An integer id in a path: beyond the database's range it is a 400 naming the parameter,
# never a query the database refuses.
RowId = Annotated[int, PathParameter(ge=1, le=INT_MAX, description="The id.")]

_DESCRIPTIONS = {
    400: "Malformed request (query, path or body)", 401: "No valid API token",
    403: "The token's role may not do this", 404: "Not found", 409: "Conflict",
    412: "If-Match names a stale version", 415: "Unsupported media type",
    422: "Refused input, with the field path of each error", 429: "Rate limited (Retry-After)",
}


def problems(*codes: int, auth: bool = True) -> dict[int, ResponseSpec]:
    wanted = set(codes) | ({400, 401, 403, 429} if auth else {400})
    return {code: ResponseSpec(Problem, description=_DESCRIPTIONS.get(code, "Error"),
                               media_type=PROBLEM_JSON, generate_examples=False)
            for code in sorted(wanted)}


def created(model) -> dict[int, ResponseSpec]:
    """The 201 answer of a PUT that created the resource (200 when it replaced it)."""
    return {201: ResponseSpec(model, description="Created", generate_examples=False)}


@dataclass
class NdjsonBodyOperation(Operation):
    """A request body of newline-delimited JSON products (the bulk upsert)."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="One product (ProductIn, optionally with `version`) per line.",
            content={"application/x-ndjson": OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING))},
        )


@dataclass
class IfMatchOperation(Operation):
    """A conditional write: the If-Match header, which the handler reads from the request
    (every header line; pim.api.conditions)."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), Parameter(
            name="If-Match", param_in="header", required=False,
            schema=Schema(type=OpenAPIType.STRING),
            description='ETags read before ("7"), or *. Strong comparison: W/"7" never '
                        "matches; 412 when none is the current version.")]


@dataclass
class IfNoneMatchOperation(Operation):
    """A conditional GET: the If-None-Match header, which the handler reads from the raw
    request headers (a declared header parameter cost a fifth of a product read)."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), Parameter(
            name="If-None-Match", param_in="header", required=False,
            schema=Schema(type=OpenAPIType.STRING),
            description='ETags read before ("7"); 304 without a body while one is current.')]


# operationIds are what a generated client names its functions: the route function's name
# without "_route" (list_products, create_product), stable as long as the function keeps its
# name, and these where that name alone would read badly.
_OPERATION_IDS = {
    "health_route": "get_health",
    "me_route": "get_me",
    "bulk_upsert_route": "bulk_upsert_products",
    "get_associations_route": "get_product_associations",
    "put_associations_route": "put_product_associations",
    "history_route": "get_product_history",
    "restore_route": "restore_product",
    "list_models_route": "list_product_models",
    "get_model_route": "get_product_model",
    "put_model_route": "put_product_model",
    "list_options_route": "list_attribute_options",
    "put_option_route": "put_attribute_option",
    "delete_option_route": "delete_attribute_option",
    "import_report_route": "get_import_report",
    "export_file_route": "get_export_file",
    "product_completeness_route": "get_product_completeness",
    "completeness_summary_route": "get_completeness_summary",
    "product_workflow_route": "get_product_workflow",
    "redeliver_route": "redeliver_delivery",
    "media_file_route": "get_media_file",
    "list_connectors_route": "list_erp_connectors",
    "get_connector_route": "get_erp_connector",
    "feed_route": "get_feed",
    "original_route": "original_media",
}


def operation_id(handler: Any, method: Any, path_components: Any) -> str:
    """The operationId of a route without an explicit one (OpenAPIConfig's creator); a route
    serving several methods (GET and HEAD) gets one per method: get_rendition."""
    name = handler.handler_name
    base = _OPERATION_IDS.get(name, name.removesuffix("_route"))
    verb = getattr(method, "value", method)  # an HttpMethod enum or its text
    return f"{str(verb).lower()}_{base}" if len(handler.http_methods) > 1 else base


# Feeds: each format's own media type (several formats share one: CSV, NDJSON, XML).
FEED_FORMATS = tuple(FORMATS)


def _feed_body_schema(media_type: str) -> Schema:
    if media_type.startswith(("text/", "application/x-ndjson")) or media_type.endswith("xml"):
        return Schema(type=OpenAPIType.STRING)
    return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


def _feed_media_types() -> dict[str, list[str]]:
    by_type: dict[str, list[str]] = {}
    for code, fmt in FORMATS.items():
        by_type.setdefault(fmt.media_type, []).append(code)
    return by_type


_VALIDATORS = {
    "ETag": "Changes whenever the feed may have (a publication or withdrawal in this channel "
            "and locale; -gz for the gzipped body); send it back in If-None-Match for a 304 "
            "while nothing changed.",
    "Last-Modified": "When the last publication or withdrawal in this feed happened.",
}


@dataclass
class FeedOperation(Operation):
    """The feed route: a 200 per media type (the format decides), its validators, the
    conditional request headers (read from the raw request) and a 304."""

    def __post_init__(self) -> None:
        headers: dict[str, OpenAPIHeader | Reference] = {name: OpenAPIHeader(schema=Schema(type=OpenAPIType.STRING),
                                       description=text) for name, text in _VALIDATORS.items()}
        headers["Content-Encoding"] = OpenAPIHeader(
            schema=Schema(type=OpenAPIType.STRING, enum=["gzip"]),
            description="gzip when the request's Accept-Encoding allows it.")
        formats = "; ".join(f"{type_}: {', '.join(codes)}"
                            for type_, codes in _feed_media_types().items())
        responses = dict(self.responses or {})
        responses["200"] = OpenAPIResponse(
            description=f"The feed, streamed, in the format's media type ({formats}).",
            headers=headers,
            content={type_: OpenAPIMediaType(schema=_feed_body_schema(type_))
                     for type_ in _feed_media_types()})
        responses["304"] = OpenAPIResponse(
            description="Not modified: If-None-Match holds the current ETag, "
                        "If-Modified-Since is not before Last-Modified, or a delta (since) "
                        "has nothing published or withdrawn after its start.",
            headers={"ETag": headers["ETag"], "Last-Modified": headers["Last-Modified"]})
        self.responses = responses
        self.parameters = [*(self.parameters or []), Parameter(
            name="If-None-Match", param_in="header", required=False,
            schema=Schema(type=OpenAPIType.STRING),
            description="ETags read before; 304 while one is current (weak comparison)."),
            Parameter(
            name="If-Modified-Since", param_in="header", required=False,
            schema=Schema(type=OpenAPIType.STRING),
            description="An HTTP date (read only without If-None-Match); 304 when nothing "
                        "changed after it.")]
