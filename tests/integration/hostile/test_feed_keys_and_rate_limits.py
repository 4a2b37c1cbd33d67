"""Feed keys record their use (issue #18 item 10) and the API's rate limit holds across
server processes (item 11)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import redis
from litestar.testing import TestClient
from sqlalchemy import select

from pim.api.feeds import feed_key_uses_recorded
from pim.api.ratelimit import RedisWindows, TokenBuckets
from pim.db import session_scope
from pim.publishing.feedkeys import create_feed_key
from pim.publishing.models import FeedKey

FEED = "/feeds/webshop-uk/ndjson"


def _key(world) -> tuple[str, int]:
    with session_scope() as session:
        key, row = create_feed_key(session, ["webshop-uk"], "distributor")
        return key, row.id


def _last_used(key_id: int):
    with session_scope() as session:
        return session.scalar(select(FeedKey.last_used_at).where(FeedKey.id == key_id))


def test_a_feed_pull_records_when_its_key_was_last_used(client, world):
    key, key_id = _key(world)
    assert _last_used(key_id) is None

    assert client.get(FEED, headers={"X-Feed-Key": key}).status_code in (200, 304)
    feed_key_uses_recorded()

    assert _last_used(key_id) is not None
    listed = client.get("/api/v1/feed-keys", headers=world.auth("admin")).json()
    assert [k["last_used_at"] for k in listed if k["id"] == key_id][0] is not None


def test_a_key_used_again_within_a_minute_is_not_written_again(client, world):
    key, key_id = _key(world)
    client.get(FEED, headers={"X-Feed-Key": key})
    feed_key_uses_recorded()
    first = _last_used(key_id)

    for _ in range(3):
        client.get(FEED, headers={"X-Feed-Key": key})
    feed_key_uses_recorded()

    assert _last_used(key_id) == first


def test_a_refused_key_records_nothing(client, world):
    _, key_id = _key(world)

    assert client.get(FEED, headers={"X-Feed-Key": "pfk_wrong"}).status_code == 401
    feed_key_uses_recorded()

    assert _last_used(key_id) is None


# -- rate limits ------------------------------------------------------------------------------


def test_two_limiters_on_one_redis_share_the_count(redis_url):
    # Two limiters are what two server processes hold: each its own, one Redis between them.
    first, second = RedisWindows(5, redis_url), RedisWindows(5, redis_url)
    now = 1_000_000_020.0

    async def takes():
        return [await limiter.take("token-1", now) for limiter in (first, second) * 3]

    waits = asyncio.run(takes())

    assert waits[:5] == [0.0] * 5
    assert 0 < waits[5] <= 60
    assert asyncio.run(first.take("token-2", now)) == 0.0  # per token


def test_the_next_minute_counts_afresh(redis_url):
    limiter = RedisWindows(1, redis_url)

    async def takes():
        # 1,000,000,020 is the start of a minute (a multiple of 60)
        return [await limiter.take("t", 1_000_000_040.0), await limiter.take("t", 1_000_000_041.0),
                await limiter.take("t", 1_000_000_081.0)]

    assert asyncio.run(takes()) == [0.0, 39.0, 0.0]


def test_an_unreachable_redis_lets_requests_through():
    limiter = RedisWindows(1, "redis://127.0.0.1:1/0")

    assert asyncio.run(limiter.take("t")) == 0.0
    assert asyncio.run(limiter.take("t")) == 0.0


def test_without_redis_the_limit_is_a_bucket_in_memory():
    buckets = TokenBuckets(2)

    assert [buckets.take_now("t", 0.0) for _ in range(3)][:2] == [0.0, 0.0]


def test_api_requests_from_two_processes_share_one_limit(world, redis_url, monkeypatch):
    from pim.app import create_app
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_API_RATE_LIMIT", "4")
    monkeypatch.setenv("PIM_REDIS_URL", redis_url)
    reset_settings()
    # Another process spends three of the token's four requests of this minute...
    script = ("import os\nfrom litestar.testing import TestClient\nfrom pim.app import create_app\n"
              "from pim.wiring import connect_listeners\nconnect_listeners()\n"
              "with TestClient(create_app(start_jobs=False)) as c:\n"
              "    print([c.get('/api/v1/me', headers={'Authorization': os.environ['AUTH']})"
              ".status_code for _ in range(3)])\n")
    for _ in range(2):  # a second try when a new minute began in between (counts afresh)
        minute = time.time() // 60
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env={**os.environ, "AUTH": world.auth("viewer")["Authorization"]},
                              timeout=120)
        assert done.stdout.strip() == "[200, 200, 200]", done.stderr[-2000:]
        # ... so this one gets the last, then 429.
        with TestClient(create_app(start_jobs=False)) as here:
            statuses = [here.get("/api/v1/me", headers=world.auth("viewer")).status_code
                        for _ in range(2)]
        if time.time() // 60 == minute:
            break
        redis.Redis.from_url(redis_url).flushdb()

    store = redis.Redis.from_url(redis_url)
    counts = {key: store.get(key) for key in store.scan_iter("pim:rate:*")}
    assert statuses == [200, 429], f"counts in Redis: {counts}"
