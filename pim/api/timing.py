"""The server's own time for a request, sent back as a W3C ``Server-Timing`` header.

``app;dur=12.3`` is the milliseconds from when the app received the request (routed, before
the body limits, the input guard, the session and the handler) to when its response was
ready to send (the start of the response: a streamed body's later chunks are not in it),
less the time the request's synchronous work spent queued for a handler thread. That wait,
when there was one, is sent too, as ``queue;dur=4.0`` (``pim.api.threads`` records it).
So ``app`` is what the request cost the server; the client's latency adds the queueing and
the network.

One ``perf_counter`` pair and a header per response: cheap enough for every request, HTML
pages, the API and feeds alike.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

SERVER_TIMING = b"server-timing"


@dataclass(slots=True)
class RequestClock:
    """One request's timing: when it arrived and how long it has waited for threads."""

    started: float
    queued: float = 0.0


current_clock: contextvars.ContextVar[RequestClock | None] = contextvars.ContextVar(
    "pim_request_clock", default=None)


def server_timing(clock: RequestClock, now: float) -> bytes:
    """The header's value for a request whose response is ready at ``now``."""
    app_ms = max(0.0, now - clock.started - clock.queued) * 1000
    value = f"app;dur={app_ms:.1f}"
    if clock.queued:
        value += f", queue;dur={clock.queued * 1000:.1f}"
    return value.encode("ascii")


class ServerTimingMiddleware(ASGIMiddleware):
    """Adds ``Server-Timing`` to every HTTP response (see the module docstring)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send,
                     next_app: ASGIApp) -> None:
        clock = RequestClock(time.perf_counter())
        token = current_clock.set(clock)

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                headers.append((SERVER_TIMING, server_timing(clock, time.perf_counter())))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await next_app(scope, receive, timed_send)
        finally:
            current_clock.reset(token)
