"""Errors on the web UI's pages answer HTML, never problem+json: a page saying what went
wrong and where to go, with the status the API would give. A visitor who must sign in is
redirected (htmx requests: 401 with ``HX-Redirect``, so the whole page moves)."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap

from pim.errors import DomainError
from pim.web.pages import is_htmx_request, page
from pim.web.security import SignInRequired

log = logging.getLogger("pim.web")

_TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed",
           409: "Conflict", 412: "Changed meanwhile", 422: "Check your input",
           429: "Too many requests", 500: "Something went wrong"}


def _error_page(request: Request, status: int, message: str) -> Response:
    title = _TITLES.get(status, "Error")
    if is_htmx_request(request):
        # htmx swaps no error response; the page's script shows this text in its alert.
        return Response(message, status_code=status, media_type="text/plain",
                        headers={"HX-Reswap": "none"})
    return page(request, "error.html", status=status, title=title, status_code=status,
                message=message)


def _sign_in(request: Request, error: SignInRequired) -> Response:
    location = (error.headers or {}).get("Location", "/sign-in")
    if is_htmx_request(request):
        return Response("", status_code=401, headers={"HX-Redirect": location})
    return Redirect(location, status_code=303)


def _http_error(request: Request, error: HTTPException) -> Response:
    return _error_page(request, error.status_code, str(error.detail))


def _domain_error(request: Request, error: DomainError) -> Response:
    return _error_page(request, error.status, error.message)


def _server_error(request: Request, error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error_page(request, 500, "The server failed to handle this request. It has been "
                       "logged; try again, and tell an administrator if it persists.")


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    SignInRequired: _sign_in,
    DomainError: _domain_error,
    HTTPException: _http_error,
    Exception: _server_error,
}
