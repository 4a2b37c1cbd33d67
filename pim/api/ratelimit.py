"""The API's rate limit per token, on a store every server process shares.

``PIM_API_RATE_LIMIT`` requests per minute per token. With ``PIM_REDIS_URL`` set (the
scale-out set-up: several server processes, several machines) the count lives in Redis: one
``INCR`` of the token's key for the current minute, which expires after two, so every process
counts against the same number and N processes allow the limit, not N times it. The increment
is atomic (Litestar's ``RateLimitMiddleware`` reads and writes its store's entry in two steps,
which lets concurrent processes lose counts). Without Redis (the embedded default, one
process) a token bucket in memory counts, as before.

A Redis that does not answer lets requests through (logged once a minute): the limit protects
the hub's capacity, and refusing every request because its counter is away would be worse.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis import asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("pim.api.ratelimit")
WINDOW_SECONDS = 60


class TokenBuckets:
    """Per-key token buckets in memory: ``rate`` requests per minute, bursts up to ``rate``."""

    def __init__(self, per_minute: int):
        self.capacity = float(per_minute)
        self.refill = per_minute / 60.0
        self.buckets: dict[object, tuple[float, float]] = {}

    async def take(self, key: object, now: float | None = None) -> float:
        return self.take_now(key, now)

    def take_now(self, key: object, now: float | None = None) -> float:
        """Take one request; 0 when allowed, else the seconds until one is available."""
        if self.capacity <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        tokens, last = self.buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.refill)
        if tokens >= 1.0:
            self.buckets[key] = (tokens - 1.0, now)
            return 0.0
        self.buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.refill


class RedisWindows:
    """Per-key counts per minute in Redis, shared by every process using the same Redis."""

    def __init__(self, per_minute: int, url: str, prefix: str = "pim:rate:"):
        self.capacity = float(per_minute)
        self.url = url
        self.prefix = prefix
        # One client per event loop: an asyncio connection belongs to the loop it was made on.
        self._clients: dict[int, aioredis.Redis] = {}
        self._warned_at = 0.0

    def _client(self) -> aioredis.Redis:
        loop = id(asyncio.get_running_loop())
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = aioredis.Redis.from_url(
                self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return client

    async def take(self, key: object, now: float | None = None) -> float:
        """Count one request; 0 when allowed, else the seconds until the next minute."""
        if self.capacity <= 0:
            return 0.0
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        name = f"{self.prefix}{key}:{window}"
        try:
            async with self._client().pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, 2 * WINDOW_SECONDS)
                count, _ = await pipe.execute()
        except (RedisError, OSError) as error:
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                log.warning("rate limit store unavailable, requests let through: %s", error)
            return 0.0
        if count <= self.capacity:
            return 0.0
        return (window + 1) * WINDOW_SECONDS - now


RateLimiter = TokenBuckets | RedisWindows


def rate_limiter(per_minute: int, redis_url: str | None) -> RateLimiter:
    """Redis when configured (shared by every process), else memory (one process)."""
    if redis_url:
        return RedisWindows(per_minute, redis_url)
    return TokenBuckets(per_minute)
