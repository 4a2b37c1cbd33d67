"""The web UI's product grid: ``GET /products`` with a text query and three facet filters,
8 signed-in sessions at once, over a SQLite demo catalog (``size`` products).

A uvicorn server subprocess serves ``pim.app:create_app`` (one worker, as ``pim serve``);
each of 8 asyncio clients signs in as its own user (session cookie) and keeps one request in
flight. Latency is measured at the client, so it includes any queueing behind the other 7
sessions; the server's own time of each request (its ``Server-Timing``) is recorded beside
it. The largest page's HTML size is reported in
the notes. The baseline is a trivial Litestar endpoint served and loaded the same way.

The catalog is kept under var/bench/grid-<size>.db; it starts as a copy of the API
workloads' catalog (var/bench/api-<size>.db) when that exists, else the demo is loaded. Its
completeness is computed and its search documents indexed before the run.
"""

from __future__ import annotations

import asyncio
import random
import re
import shutil
import time

from tests.bench.harness import Measurement, server_time_ms, wire_hub, workload
from tests.bench.workloads.api import _warm_page_cache, hub_and_baseline, use_bench_database

SESSIONS = 8
REQUESTS = 400
WARMUP = 40
PASSWORD = "bench password 1"
# (family, a category of its tree, words its names hold)
VIEWS = [
    ("electronics", "audio", ["voltia", "sonara speaker", "headphones", "pixelworks",
                              "compact", "monitor"]),
    ("electronics", "tv", ["brightcast", "television", "premium", "soundbar"]),
    ("apparel", "clothing_women", ["northwind", "jacket", "fieldcraft shirt", "classic"]),
    ("spare_parts", "pumps", ["hydra", "pump seal", "ferrotec", "impeller", "heavy"]),
    ("spare_parts", "valves", ["kugel", "ball valve", "gasket", "sparkline"]),
]
CHANNELS = ["webshop-uk", "webshop-ie", "distributor-eu"]


def _catalog(size: int) -> tuple[str, list[str]]:
    """The SQLite URL of a prepared demo catalog and the e-mails of its bench users."""
    wire_hub()
    from sqlalchemy import create_engine, func, select

    import pim.models as models
    from pim.auth.service import create_user
    from pim.catalog.models import Product
    from pim.db import dispose_engines, session_factory, session_scope
    from pim.search.models import SearchDocument

    path, url = use_bench_database(f"grid-{size}.db")
    if not path.exists():
        source = path.with_name(f"api-{size}.db")
        if source.exists():
            shutil.copyfile(source, path)
    engine = create_engine(url)
    models.Base.metadata.create_all(engine)  # tables newer than the copied catalog
    engine.dispose()
    with session_scope(url) as session:
        empty = not session.scalar(select(func.count()).select_from(Product))
    if empty:
        from pim.demo import load_demo

        load_demo(session_factory(url), products=size, seed=7)
    from pim.jobs.embedded import EmbeddedRunner

    EmbeddedRunner().run_until_idle()  # completeness and search jobs the writes queued
    with session_scope(url) as session:
        products = session.scalar(select(func.count()).select_from(Product)) or 0
        indexed = session.scalar(select(func.count()).select_from(SearchDocument)) or 0
    if indexed < products:
        from pim.search import reindex

        reindex(session_factory(url))
    emails = [f"grid-bench-{n}@pim.local" for n in range(SESSIONS)]
    with session_scope(url) as session:
        from pim.auth.models import User

        known = set(session.scalars(select(User.email).where(User.email.in_(emails))))
        for email in emails:
            if email not in known:
                create_user(session, email, role="editor", password=PASSWORD)
    _warm_page_cache(path)
    dispose_engines()
    return url, emails


def grid_paths(count: int, seed: int = 5) -> list[str]:
    """Grid URLs with a text query and three facet filters (family, category, channel)."""
    from urllib.parse import urlencode

    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        family, category, words = rng.choice(VIEWS)
        paths.append("/products?" + urlencode({
            "q": rng.choice(words), "family": family, "category": category,
            "channel": rng.choice(CHANNELS)}))
    return paths


async def _sign_in(client, email: str) -> None:
    form = await client.get("/sign-in")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
    assert token, "no sign-in form"
    response = await client.post("/sign-in", data={
        "email": email, "password": PASSWORD, "next": "/", "_csrf_token": token.group(1)})
    if response.status_code != 303:
        raise RuntimeError(f"sign-in failed: {response.status_code} {response.text[:200]}")


async def _load(base: str, emails: list[str] | None, paths: list[str]
                ) -> tuple[float, list[float], list[float], int]:
    """(seconds, latencies in ms, the hub's server times in ms, largest body in bytes) of
    ``paths`` over one client per session, each keeping one request in flight."""
    import httpx

    clients = [httpx.AsyncClient(base_url=base, timeout=120) for _ in range(SESSIONS)]
    latencies: list[float] = []
    server: list[float] = []
    largest = 0
    try:
        if emails:
            await asyncio.gather(*(_sign_in(c, e) for c, e in zip(clients, emails, strict=True)))
        queue: list[str] = []

        async def session(client, record: bool) -> None:
            nonlocal largest
            while queue:
                path = queue.pop()
                started = time.perf_counter()
                response = await client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")
                if record:
                    latencies.append(elapsed)
                    if emails:  # the hub (the baseline app says no server time)
                        server.append(server_time_ms(response.headers))
                    largest = max(largest, len(response.content))

        queue[:] = list(reversed(paths[:WARMUP]))
        await asyncio.gather(*(session(c, False) for c in clients))
        queue[:] = list(reversed(paths[WARMUP:]))
        started = time.perf_counter()
        await asyncio.gather(*(session(c, True) for c in clients))
        return time.perf_counter() - started, latencies, server, largest
    finally:
        for client in clients:
            await client.aclose()


@workload("web_grid_page", size=100_000, unit="requests")
def web_grid_page(size: int) -> Measurement:
    url, emails = _catalog(size)
    env = {"PIM_DATABASE_URL": url, "PIM_REDIS_URL": "", "PIM_BASE_URL": "http://127.0.0.1"}
    with hub_and_baseline(env) as (server, baseline):
        paths = grid_paths(REQUESTS + WARMUP)
        seconds, latencies, server_ms, largest = asyncio.run(
            _load(server.base, emails, paths))
        base_seconds, base_latencies, _, _ = asyncio.run(
            _load(baseline.base, None, ["/ping"] * (REQUESTS + WARMUP)))
    return Measurement(items=len(latencies), seconds=seconds, baseline_seconds=base_seconds,
                       baseline_items=len(base_latencies), latencies_ms=latencies,
                       baseline_latencies_ms=base_latencies, server_ms=server_ms,
                       notes=f"{size} products, SQLite, {SESSIONS} signed-in sessions, one "
                             f"request in flight each, 1 uvicorn worker; q + family + "
                             f"category + channel; largest page {largest / 1024:.0f} KB")
