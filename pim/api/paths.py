"""An encoded slash (``%2F``) in a path segment is data, not a separator.

SKUs stored before the SKU alphabet existed may hold a "/" (``OLD/1``); a client addresses
such a product as one percent-encoded segment, ``/api/v1/products/OLD%2F1`` (RFC 3986: an
encoded reserved character is data), and its sub-resources as ``.../OLD%2F1/history``.
The ASGI server decodes the path before the application sees it, so Litestar's router
would see ``/products/OLD/1`` and answer 404.

Two steps keep the slash inside its segment, for every route with path parameters:

- ``keep_encoded_slashes`` wraps the router (before routing, where Litestar's middleware
  cannot act): when the raw path holds an encoded slash, the path is decoded again segment
  by segment, each slash inside a segment standing in as ``SLASH_MARK``, so the segment
  stays whole for the router;
- ``restore_encoded_slashes`` (called first by ``pim.api.inputs.InputGuardMiddleware``,
  after routing, before the handler's parameters are read) puts the slashes back into the
  path parameters and the path.

``SLASH_MARK`` is the NUL character: a request holding one of its own (``%00`` in its raw
path) is refused (400) at the same step, so no path reaching a handler means two things.
"""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import unquote

from litestar import Litestar
from litestar.types import ASGIApp, Receive, Scope, Send

SLASH_MARK = "\x00"
_ENCODED_SLASH = re.compile(rb"%2f", re.IGNORECASE)
_DECODED_PATH = "pim.decoded_path"  # the path as the server decoded it, kept in the scope


def _segments_kept(raw_path: bytes) -> str:
    """``raw_path`` decoded as the ASGI server decodes it (UTF-8 after percent-decoding),
    but segment by segment, each slash decoded inside a segment as ``SLASH_MARK``."""
    return "/".join(unquote(segment).replace("/", SLASH_MARK)
                    for segment in raw_path.decode("latin-1").split("/"))


class _KeepEncodedSlashes:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = scope.get("raw_path") if scope["type"] == "http" else None
        if raw_path and b"%2" in raw_path and _ENCODED_SLASH.search(raw_path):
            cast(dict, scope)[_DECODED_PATH] = scope["path"]
            scope["path"] = _segments_kept(raw_path)
        await self.app(scope, receive, send)


def keep_encoded_slashes(app: Litestar) -> Litestar:
    """Route ``app``'s requests with encoded slashes kept inside their segments."""
    app.asgi_handler = _KeepEncodedSlashes(app.asgi_handler)
    return app


def restore_encoded_slashes(scope: Scope) -> None:
    """After routing: the slashes ``keep_encoded_slashes`` marked go back into the path
    parameters (a SKU ``OLD/1``) and the path."""
    decoded = cast(dict, scope).pop(_DECODED_PATH, None)
    if decoded is None:
        return
    params: dict[str, Any] = scope.get("path_params", {})
    scope["path_params"] = {
        name: value.replace(SLASH_MARK, "/") if isinstance(value, str) else value
        for name, value in params.items()}
    scope["path"] = decoded
