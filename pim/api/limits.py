"""Request body limits per route kind, enforced before and while a body is read.

A route says what its body is with ``opt={"body": KIND}``: ``json`` (the default: every
JSON or form body), ``bulk`` (the NDJSON bulk upsert) or ``upload`` (import files, media).
Each kind has its limit (``PIM_API_MAX_BODY_BYTES``, ``PIM_API_MAX_BULK_BYTES``,
``PIM_API_MAX_UPLOAD_BYTES``). A request announcing more (``Content-Length``) is answered
413 before a byte of it is read; one sent without a length (chunked) is cut off with 413 as
soon as what arrived passes the limit. An app-level ASGI middleware, so the web UI's forms
and the feeds are bounded too, whatever the handler does with its body.
"""

from __future__ import annotations

from typing import Any

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from pim.config import get_settings

BODY_KINDS = ("json", "bulk", "upload")


class RequestTooLarge(HTTPException):
    status_code = 413


def body_limits() -> dict[str, int]:
    settings = get_settings()
    return {"json": settings.api_max_body_bytes, "bulk": settings.api_max_bulk_bytes,
            "upload": settings.api_max_upload_bytes}


def _too_large(kind: str, limit: int) -> RequestTooLarge:
    setting = {"json": "PIM_API_MAX_BODY_BYTES", "bulk": "PIM_API_MAX_BULK_BYTES",
               "upload": "PIM_API_MAX_UPLOAD_BYTES"}[kind]
    return RequestTooLarge(detail=f"the request body is larger than {limit:,} bytes, the "
                                  f"limit of this route ({setting})")


def _announced_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


class BodyLimitMiddleware(ASGIMiddleware):
    """413 for a body above its route kind's limit (see the module docstring)."""

    scopes = (ScopeType.HTTP,)
    limits: dict[str, int] | None = None  # read once per app (create_app resets it)

    async def handle(self, scope: Scope, receive: Receive, send: Send,
                     next_app: ASGIApp) -> None:
        limits = type(self).limits
        if limits is None:
            limits = type(self).limits = body_limits()
        handler: Any = scope.get("route_handler")
        kind = (handler.opt.get("body") if handler is not None else None) or "json"
        limit = limits[kind]
        announced = _announced_length(scope)
        if announced is not None and announced > limit:
            raise _too_large(kind, limit)
        received = 0

        async def bounded_receive() -> ReceiveMessage:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(kind, limit)
            return message

        await next_app(scope, bounded_receive, send)


def reset_body_limits() -> None:
    BodyLimitMiddleware.limits = None
