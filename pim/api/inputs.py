"""Input the database or a decoder cannot take, refused at the door with a 4xx naming it
(after the path parameters get back the encoded slashes they hold: ``pim.api.paths``).

- A NUL character (U+0000) in the path or any query parameter is a 400 naming the parameter:
  PostgreSQL's text cannot hold one, and no code, SKU or filter of the hub contains one.
- A JSON body (``application/json`` or ``+json``; bounded by ``PIM_API_MAX_BODY_BYTES``
  before this reads it) nested deeper than ``MAX_JSON_NESTING`` levels is a 400 (the
  decoders recurse, and orjson refuses to write more than 255 levels), and one holding a
  NUL character in any string is a 422 naming the field (``values.name[0].data``). The body
  is then handed on unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import anyio.to_thread
import msgspec
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from pim.api.paths import restore_encoded_slashes
from pim.errors import DomainError, Invalid

# No body the hub reads needs more: a product is values -> attribute -> entry -> data ->
# price, a channel's mapping a few levels more.
MAX_JSON_NESTING = 64
_CHECK_IN_THREAD_BYTES = 64 * 1024  # bigger bodies are decoded off the event loop


def _refused(field: str | None, message: str, detail: str) -> DomainError:
    return DomainError(detail, errors=[{"field": field, "message": message}])


def _nul_in_url(scope: Scope) -> None:
    path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    if b"\x00" in path or b"%00" in path or "\x00" in scope["path"]:
        raise _refused("path", "contains a NUL character",
                       "the path contains a NUL character (%00)")
    query = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        names = [name for name, value in parse_qsl(query.decode("latin-1"),
                                                   keep_blank_values=True)
                 if "\x00" in name or "\x00" in value]
        name = names[0] if names else "query"
        shown = name.replace("\x00", "\\u0000")
        raise _refused(shown, "contains a NUL character",
                       f"query parameter {shown!r} contains a NUL character (%00)")


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            media = value.split(b";")[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def check_json_body(body: bytes) -> None:
    """Raise when ``body`` nests too deep or holds a NUL character; malformed JSON is left
    for the route's own decoding to refuse."""
    nul = b"\\u0000" in body
    if not nul and body.count(b"[") + body.count(b"{") <= MAX_JSON_NESTING:
        return
    try:
        data = msgspec.json.decode(body)
    except RecursionError:
        message = f"nested more than {MAX_JSON_NESTING} levels deep"
        raise _refused(None, message, f"the JSON body is {message}") from None
    except msgspec.DecodeError:
        return
    problem = json_problem(data)
    if problem is not None:
        field, message = problem
        if message.startswith("nested"):
            raise _refused(field or None, message, f"{field or 'the body'}: {message}")
        raise Invalid(f"{field}: {message}", errors=[{"field": field, "message": message}])


def json_problem(data: Any, max_nesting: int = MAX_JSON_NESTING) -> tuple[str, str] | None:
    """``(field path, message)`` of the first place in decoded JSON nested deeper than
    ``max_nesting`` or holding a NUL character (in a key or a string), else None.
    Iterative: any depth is walked without recursion."""
    stack: list[tuple[Any, str, int]] = [(data, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path, "contains a NUL character (U+0000)"
            continue
        if isinstance(item, dict):
            pairs: Any = item.items()
        elif isinstance(item, list):
            pairs = ((f"[{index}]", value) for index, value in enumerate(item))
        else:
            continue
        if depth > max_nesting:
            return path, f"nested more than {max_nesting} levels deep"
        for key, value in pairs:
            if isinstance(item, dict):
                if isinstance(key, str) and "\x00" in key:
                    return path or key.replace("\x00", "\\u0000"), (
                        "a key contains a NUL character (U+0000)")
                child = f"{path}.{key}" if path else str(key)
            else:
                child = f"{path}{key}"
            if isinstance(value, str | dict | list):
                stack.append((value, child, depth + 1))
    return None


class InputGuardMiddleware(ASGIMiddleware):
    """See the module docstring."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send,
                     next_app: ASGIApp) -> None:
        restore_encoded_slashes(scope)
        _nul_in_url(scope)
        if not _is_json(scope) or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await next_app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await next_app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if len(body) > _CHECK_IN_THREAD_BYTES:
            await anyio.to_thread.run_sync(check_json_body, body)
        else:
            check_json_body(body)
        whole: ReceiveMessage = {"type": "http.request", "body": body, "more_body": False}
        await next_app(scope, _replay([whole], None, receive), send)


def _replay(messages: list[ReceiveMessage], last: ReceiveMessage | None,
            receive: Receive) -> Receive:
    pending = list(messages) + ([last] if last is not None else [])

    async def replayed() -> ReceiveMessage:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


