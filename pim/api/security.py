"""Authentication (bearer API tokens), authorization (a role per route) and rate limiting.

- Every ``/api`` request carries ``Authorization: Bearer pim_...``. The token resolves to an
  :class:`~pim.auth.actor.Actor` (``request.user``). Resolutions are cached in-process for
  ``TOKEN_CACHE_SECONDS`` so a read costs no extra query; expiry is still checked on every
  request, and a revocation, a disabled user or a changed role takes effect at the next
  request in every process on the machine (the CLI's changes too): a cached resolution
  counts only under the access generation it was made in
  (``pim.auth.access.access_generation``, one ``stat`` per request).
- Each route declares the roles it admits in ``opt={"roles": ...}``; the middleware enforces
  it right after authentication (a route that declares nothing is admin-only: forgetting
  fails closed). Not a Litestar guard: a guard call copies the route handler, a tenth of a
  product read. OPTIONS answers any signed-in role (it only lists the methods).
- Rate limit: ``PIM_API_RATE_LIMIT`` requests per minute per token, answered with 429 and
  ``Retry-After``; counted in Redis when ``PIM_REDIS_URL`` is set, so that every process
  shares the count, else in memory (``pim.api.ratelimit``).
"""

from __future__ import annotations

import logging
import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import anyio.to_thread
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.types import ASGIApp, Receive, Scope, Send

from pim.api.ratelimit import RateLimiter, rate_limiter
from pim.auth.access import access_generation
from pim.auth.actor import ADMIN, require_role
from pim.auth.tokens import (
    Authenticated,
    authenticate_token,
    hash_token,
    touch_due,
    touch_token,
)
from pim.config import get_settings
from pim.db import read_session, session_scope, utcnow

log = logging.getLogger("pim.api.security")
TOKEN_CACHE_SECONDS = 5.0
_CACHE_LIMIT = 10_000
_BEARER = {"WWW-Authenticate": 'Bearer realm="pim"'}


@dataclass(slots=True)
class _Cached:
    auth: Authenticated
    at: float
    generation: tuple[int, int]


_token_cache: dict[str, _Cached] = {}
# token hash -> set when the resolution under way for it ends
_resolving: dict[str, anyio.Event] = {}


def forget_token(token_id: int) -> None:
    """Drop a token from the cache (after revoking it)."""
    for key in [k for k, v in _token_cache.items() if v.auth.token_id == token_id]:
        _token_cache.pop(key, None)


def forget_all_tokens() -> None:
    _token_cache.clear()


def _resolve(raw: str) -> Authenticated | None:
    with read_session() as session:
        auth = authenticate_token(session, raw)
    # last_used_at has a one-minute resolution: no write while the recorded use is recent,
    # and the request does not wait for the one it asks for.
    if auth is not None and touch_due(auth) and auth.token_id not in _touch_pending:
        _touch_pending.add(auth.token_id)
        _touches.submit(_touch, auth.token_id)
    return auth


# Recording a use is a write: on SQLite it queues behind whatever holds the write lock (an
# import's batch, a completeness job) for up to the busy timeout, and every request of the
# token would have waited with it. One background thread records uses, in order, one at a
# time per token (a token resolved again while its use waits is not queued twice).
_touches = ThreadPoolExecutor(max_workers=1, thread_name_prefix="token-touch")
_touch_pending: set[int] = set()


def _touch(token_id: int) -> None:
    try:
        with session_scope() as session:
            touch_token(session, token_id)
    except Exception:
        log.warning("could not record the use of API token %s", token_id, exc_info=True)
    finally:
        _touch_pending.discard(token_id)


def touches_recorded() -> None:
    """Wait until the uses asked for so far are recorded (tests)."""
    _touches.submit(lambda: None).result()


def _cached(key: str) -> Authenticated | None:
    cached = _token_cache.get(key)
    if (cached is not None and time.monotonic() - cached.at < TOKEN_CACHE_SECONDS
            and cached.generation == access_generation()):
        return cached.auth
    return None


async def _resolve_and_cache(key: str, raw: str) -> Authenticated | None:
    done = _resolving[key] = anyio.Event()
    # Read before resolving: a change committed while the database is asked moves the
    # generation on, so what this resolution finds is not trusted past it.
    generation = access_generation()
    try:
        auth = await anyio.to_thread.run_sync(_resolve, raw)
    finally:
        if _resolving.get(key) is done:
            del _resolving[key]
        done.set()
    if auth is None:
        _token_cache.pop(key, None)
        return None
    if len(_token_cache) >= _CACHE_LIMIT:
        _token_cache.clear()
    _token_cache[key] = _Cached(auth, time.monotonic(), generation)
    return auth


async def resolve_bearer(raw: str) -> Authenticated | None:
    key = hash_token(raw)
    auth = _cached(key)
    if auth is None:
        pending = _resolving.get(key)
        if pending is not None:
            # Another request is already asking the database about this token (every
            # connection of a client misses at once when the entry ages out): wait for it.
            await pending.wait()
            auth = _cached(key)
        if auth is None:
            auth = await _resolve_and_cache(key, raw)
            if auth is None:
                return None
    if auth.expires_at is not None and auth.expires_at <= utcnow():
        _token_cache.pop(key, None)
        return None
    return auth


def bearer_of(scope: Scope) -> str | None:
    """The bearer token of a request's Authorization header (read from the raw ASGI
    headers: building a Headers mapping for one header cost more than the lookup)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return None
            return token.strip()
    return None


class TokenAuthMiddleware:
    """Bearer token -> Actor (``request.user``; ``request.auth`` is the token), then the
    token's rate limit and the route's roles. A plain ASGI middleware on the API router:
    every method, OPTIONS included, needs a token."""

    buckets: RateLimiter | None = None

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            auth = await self.authenticate(scope)
            scope["user"] = auth.actor
            scope["auth"] = auth
        await self.app(scope, receive, send)

    async def authenticate(self, scope: Scope) -> Authenticated:
        raw = bearer_of(scope)
        if raw is None:
            raise NotAuthorizedException("an API token is required (Authorization: Bearer ...)",
                                         headers=_BEARER)
        auth = await resolve_bearer(raw)
        if auth is None:
            raise NotAuthorizedException("the API token is unknown, expired or revoked",
                                         headers=_BEARER)
        buckets = type(self).buckets
        if buckets is None:
            settings = get_settings()
            buckets = type(self).buckets = rate_limiter(settings.api_rate_limit,
                                                        settings.redis_url)
        wait = await buckets.take(auth.token_id)
        if wait:
            raise TooManyRequestsException(
                f"rate limit of {int(buckets.capacity)} requests per minute exceeded",
                headers={"Retry-After": str(max(1, math.ceil(wait)))})
        if scope.get("method") != "OPTIONS":
            require_role(auth.actor, *scope["route_handler"].opt.get("roles", (ADMIN,)))
        return auth


def reset_rate_limits() -> None:
    TokenAuthMiddleware.buckets = None

