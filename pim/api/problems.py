"""RFC 9457 problem details: every error the API, the feeds and Litestar itself raise leaves
as ``application/problem+json`` with ``type``, ``title``, ``status``, ``detail``,
``instance`` and an ``errors`` list whose entries carry a ``field`` path
(``values.name[0].data``) and a ``message``.

Our own handlers, not Litestar's ``ProblemDetailsPlugin`` (checked against Litestar 2.25):
the plugin turns an ``HTTPException`` into a problem whose ``title`` is the exception's
detail and whose Litestar validation errors go out as a bare ``extra`` list of
``{"message", "key", "source"}`` (``values.name.0.data``, no field path in our form), it
leaves out the members it has no value for (the API promises all six, ``errors`` always a
list), and it has no handler for an unexpected exception (our 500 is a problem too, logged).
Keeping the promised shape through it would mean a conversion function per exception type
in its ``exception_to_problem_detail_map``: these same handlers, one indirection further.
"""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError, IntegrityError

from pim.db import lost_a_race
from pim.errors import DomainError, ErrorItem, StaleVersion, field_path

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://pim-hub.org/problems/"
log = logging.getLogger("pim.api")

_SLUGS = {
    400: "bad-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 412: "stale-version",
    413: "too-large", 415: "unsupported-media-type", 422: "invalid", 428: "precondition-required",
    429: "rate-limited", 500: "server-error", 503: "unavailable",
}
_TITLES = {
    400: "Bad request", 401: "Authentication required", 403: "Forbidden", 404: "Not found",
    405: "Method not allowed", 409: "Conflict", 412: "Precondition failed", 415:
    "Unsupported media type", 422: "Invalid input", 429: "Too many requests",
    500: "Internal server error", 503: "Service unavailable",
}


class FieldError(BaseModel):
    model_config = ConfigDict(extra="allow")
    field: str | None = None
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[FieldError] = []


def problem_response(status: int, detail: str, *, instance: str = "",
                     errors: list[ErrorItem] | None = None, title: str | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    body = {
        "type": PROBLEM_BASE + _SLUGS.get(status, str(status)),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance,
        "errors": errors or [],
    }
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_error(request: Request, error: DomainError) -> Response:
    headers = None
    if isinstance(error, StaleVersion):
        headers = {"ETag": f'"{error.current}"'}
    return problem_response(error.status, error.message, instance=request.url.path,
                            errors=error.errors, title=error.title, headers=headers)


def _validation_error(request: Request, error: ValidationException) -> Response:
    errors: list[ErrorItem] = []
    for item in error.extra or []:
        if isinstance(item, dict):
            field = field_path(item["key"]) if item.get("key") else None
            errors.append({"field": field, "message": str(item.get("message", "")),
                           "source": item.get("source")})
        else:
            errors.append({"field": None, "message": str(item)})
    detail = "; ".join(f"{e['field']}: {e['message']}" if e["field"] else e["message"]
                       for e in errors) or error.detail
    return problem_response(400, detail, instance=request.url.path, errors=errors)


def _http_error(request: Request, error: HTTPException) -> Response:
    return problem_response(error.status_code, str(error.detail), instance=request.url.path,
                            headers=dict(error.headers or {}) or None)


def _server_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "the server failed to handle this request; it has been logged",
                            instance=request.url.path)


def _database_error(request: Request, error: Exception) -> Response:
    """A write the database refused because of a concurrent one that no service retried
    (the services retry their own single writes): a conflict to try again, not a server
    error. The statement and its parameters go to the log only."""
    if not lost_a_race(error):
        return _server_error(request, error)
    log.warning("concurrent write refused on %s %s: %s", request.method, request.url.path,
                error)
    if isinstance(error, IntegrityError):
        return problem_response(409, "a concurrent change conflicts with this one; "
                                "reload and try again", instance=request.url.path)
    return problem_response(503, "the data is busy with concurrent changes; try again",
                            instance=request.url.path, headers={"Retry-After": "1"})


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: _domain_error,
    DBAPIError: _database_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    Exception: _server_error,
}
