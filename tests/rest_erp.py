"""A small REST/JSON product source on 127.0.0.1 for the REST connector's tests: the same
items behind each pagination style, a token to check, a ``changed_since`` filter, and a
script of failures (503s, dropped connections) to exercise retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

TOKEN = "s3cret-token-for-tests"


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class RestErp:
    """``style``: page, offset, cursor or link. ``fail(n, request)`` may answer the n-th
    request (0-based) itself: a status code, or "drop" to close the connection unanswered."""

    items: list[dict[str, Any]]
    style: str = "link"
    auth: str | None = "bearer"  # bearer, header (X-Api-Key) or None
    fail: Callable[[int, Request], int | str | None] | None = None
    default_size: int = 2
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self):
        erp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                headers = {k.lower(): v for k, v in self.headers.items()}
                request = Request(parts.path, query, headers)
                with erp.lock:
                    n = len(erp.requests)
                    erp.requests.append(request)
                failure = erp.fail(n, request) if erp.fail else None
                if failure == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if isinstance(failure, int):
                    return self.answer(failure, {"error": "scripted"})
                if not erp.authorised(headers):
                    return self.answer(401, {"error": "unauthorised"})
                status, body, extra = erp.page(parts.path, query)
                self.answer(status, body, extra)

            def answer(self, status, body, extra=None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,),
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/products"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def authorised(self, headers: dict[str, str]) -> bool:
        if self.auth == "bearer":
            return headers.get("authorization") == f"Bearer {TOKEN}"
        if self.auth == "header":
            return headers.get("x-api-key") == TOKEN
        return True

    def selected(self, query: dict[str, str]) -> list[dict[str, Any]]:
        since = query.get("updated_since")
        if not since:
            return self.items
        moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
        return [i for i in self.items
                if datetime.fromisoformat(i["updated_at"].replace("Z", "+00:00")) >= moment]

    def page(self, path: str, query: dict[str, str]):
        items = self.selected(query)
        size = int(query.get("limit") or self.default_size)
        if self.style == "page":
            number = int(query.get("page", "1"))
            return 200, {"data": items[(number - 1) * size:number * size]}, {}
        if self.style == "offset":
            offset = int(query.get("offset", "0"))
            return 200, {"data": items[offset:offset + size]}, {}
        if self.style == "cursor":
            start = int(query.get("cursor") or 0)
            chunk = items[start:start + size]
            following = str(start + size) if start + size < len(items) else None
            return 200, {"data": chunk, "meta": {"next": following}}, {}
        start = int(query.get("start", "0"))
        chunk = items[start:start + size]
        headers = {}
        if start + size < len(items):
            rest = {k: v for k, v in query.items() if k != "start"}
            target = f"/api/products?{urlencode({**rest, 'start': start + size})}"
            headers["link"] = f'<{target}>; rel="next", </api/products>; rel="first"'
        return 200, chunk, headers


def rest_items(count: int, *, updated: str = "2026-12-01T10:00:00Z") -> list[dict[str, Any]]:
    return [{"id": 1000 + i, "sku": f"R-{i:03d}", "title": f"Item {i}",
             "pricing": {"net": f"{i}.5"}, "active": i != 3, "updated_at": updated,
             "stock": {"uk": i * 2}}
            for i in range(1, count + 1)]
