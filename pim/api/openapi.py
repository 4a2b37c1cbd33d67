"""OpenAPI helpers: the problem responses every route documents, custom request bodies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIMediaType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import PathParameter

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
