"""A real HTTP server on 127.0.0.1 serving media for the download tests, and the allowlist
that lets the hub reach it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Served:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True  # False: the body runs until the connection closes


class MediaServer:
    """Answers GETs from ``routes`` (path -> Served); records the paths asked for."""

    def __init__(self):
        self.routes: dict[str, Served] = {}
        self.requested: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                server.requested.append(self.path)
                served = server.routes.get(self.path, Served(b"missing", 404))
                try:
                    self.send_response(served.status)
                    for name, value in served.headers.items():
                        self.send_header(name, value)
                    if served.content_length:
                        self.send_header("content-length", str(len(served.body)))
                    self.end_headers()
                    for start in range(0, len(served.body), 1024):
                        self.wfile.write(served.body[start:start + 1024])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the hub hung up (a download over the limit)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, body: bytes, media_type: str = "image/png", **kw) -> str:
        self.routes[path] = Served(body, headers={"content-type": media_type}, **kw)
        return self.url(path)


@pytest.fixture
def media_server():
    server = MediaServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def allow_local(db, monkeypatch):
    """Let media downloads reach 127.0.0.1 (the test server), as an operator would allow an
    internal image host."""
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_MEDIA_ALLOW_HOSTS", "127.0.0.1")
    reset_settings()


def set_setting(monkeypatch, name: str, value: str) -> None:
    from pim.config import reset_settings

    monkeypatch.setenv(name, value)
    reset_settings()
