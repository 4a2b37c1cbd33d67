"""A real HTTP receiver on 127.0.0.1 for webhook tests: answers from a script, records every
request, and verifies signatures with the ``standardwebhooks`` package."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Reply:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)
    sleep: float = 0.0
    body: bytes = b""


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic()
    verified: bool | None  # None: no secret to verify with
    peer: tuple[str, int] = ("", 0)  # the sender's address: one per connection


class Receiver:
    """``script(n, received) -> Reply`` decides the answer to the n-th request (0-based).
    ``keep_alive``: answer in HTTP/1.1 and keep connections open (default: HTTP/1.0, one
    connection per request)."""

    def __init__(self, script: Callable[[int, Received], Reply] | None = None, *,
                 keep_alive: bool = False):
        self.script = script or (lambda n, r: Reply())
        self.secrets: list[str] = []
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                received = Received(self.path, headers, body, time.monotonic(),
                                    receiver.verify(body, headers), self.client_address)
                with receiver.lock:
                    n = len(receiver.requests)
                    receiver.requests.append(received)
                reply = receiver.script(n, received)
                if reply.sleep:
                    time.sleep(reply.sleep)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up (timeout) or died

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def verify(self, body: bytes, headers: dict[str, str]) -> bool | None:
        if not self.secrets:
            return None
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                return True
            except WebhookVerificationError:
                continue
        return False

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def wait_for(condition: Callable[[], object], timeout: float = 15.0, interval: float = 0.05,
             step: Callable[[], object] | None = None):
    """Poll ``condition`` (running ``step`` between looks) until truthy or ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if step is not None:
            step()
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)
