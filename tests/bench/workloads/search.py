"""Search (``pim.search``) over the 100,000-product demo catalog.

- ``search_sqlite`` / ``search_postgres``: in-process latency of one-word, two-word,
  prefix, SKU-fragment, GTIN and filtered-with-3-facets queries through
  ``pim.search.search`` (what the API and the UI call), one at a time; the baseline is a
  bare FTS5 ``MATCH ... LIMIT 50`` over the same documents for the same words (SQLite) in
  the same run. Notes give p50/p99 per kind.
- ``search_reindex``: a full ``reindex`` of the SQLite catalog (in place, while readable).
- ``search_freshness``: an edit committed, then searched for until found, with the
  embedded runner running the ``search.index`` job (median and worst of 20 edits).
- ``api_search`` / ``api_product_list_search``: ``GET /api/v1/search`` and
  ``GET /api/v1/products?search=`` (50 a page, with filters), 32 connections over HTTP
  (see ``api.py``).

The SQLite catalog is the API workloads' (``var/bench/api-N.db``) copied and indexed once
(``var/bench/search-N.db``). PostgreSQL: ``PIM_BENCH_POSTGRES_URL`` (a database the
workload may fill; default ``postgresql+psycopg://postgres@127.0.0.1:5432/bench_search``).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from tests.bench.harness import Measurement, percentile, wire_hub, workload

PER_KIND = 150
WARMUP = 20
KINDS = ("one_word", "two_words", "prefix", "sku_fragment", "gtin", "filtered_3_facets")


def _sqlite_catalog(size: int) -> str:
    """The URL of an indexed SQLite demo catalog of ``size`` products."""
    from tests.bench.workloads.api import _catalog

    root = Path("var/bench").resolve()
    path = root / f"search-{size}.db"
    if not path.exists():
        source_url, _, _ = _catalog(size)
        source = Path(source_url.split("///", 1)[1])
        partial = path.with_name(path.name + ".building")
        shutil.copyfile(source, partial)
        _index(f"sqlite:///{partial}")
        os.replace(partial, path)
    url = f"sqlite:///{path}"
    _use(url)
    return url


def _use(url: str) -> None:
    from pim.config import reset_settings
    from pim.db import dispose_engines

    os.environ["PIM_DATABASE_URL"] = url
    os.environ["PIM_REDIS_URL"] = ""
    os.environ.pop("PIM_MEILISEARCH_URL", None)
    reset_settings()
    dispose_engines()


def _index(url: str) -> float:
    """Create the search tables where missing and index everything; seconds taken."""
    wire_hub()
    from sqlalchemy import update

    import pim.models as models
    from pim.catalog.models import Product
    from pim.db import get_engine, session_factory
    from pim.search import reindex

    _use(url)
    models.Base.metadata.create_all(get_engine(url))
    started = time.perf_counter()
    reindex(session_factory(url))
    seconds = time.perf_counter() - started
    with session_factory(url)() as session, session.begin():
        session.execute(update(Product).values(search_dirty=False))
    return seconds


def _queries(url: str) -> dict[str, list[dict]]:
    """Search arguments per kind, drawn from the catalog's own SKUs and GTINs."""
    from sqlalchemy import select

    from pim.db import session_factory
    from pim.search.models import SearchDocument

    rng = random.Random(11)
    with session_factory(url)() as session:
        rows = session.execute(select(SearchDocument.sku, SearchDocument.identifiers)
                               .order_by(SearchDocument.product_id)).all()
    sample = rng.sample(rows, PER_KIND + WARMUP)
    words = ["speaker", "jacket", "bearing", "premium", "voltia", "headphones", "gasket",
             "hoodie", "monitor", "relay", "compact", "kugel"]
    pairs = ["premium headphones", "compact speaker", "voltia monitor", "classic jacket",
             "heavy gasket", "sonara soundbar", "hydra pump", "oakline hoodie"]
    prefixes = ["headph", "jack", "bear", "prem", "volt", "lautspr", "kapuz", "sound"]
    n = PER_KIND + WARMUP
    facets = ("family", "category", "enabled")
    return {
        "one_word": [{"text": rng.choice(words)} for _ in range(n)],
        "two_words": [{"text": rng.choice(pairs)} for _ in range(n)],
        "prefix": [{"text": rng.choice(prefixes)} for _ in range(n)],
        "sku_fragment": [{"text": sku[2:8]} for sku, _ in sample],
        "gtin": [{"text": identifiers.split()[1]} for _, identifiers in sample],
        "filtered_3_facets": [{"text": rng.choice(words),
                               "filters": {"family": rng.choice(
                                   ["electronics", "apparel", "spare_parts"]),
                                   "enabled": "true"}, "facets": facets} for _ in range(n)],
    }


def _time_queries(url: str, queries: dict[str, list[dict]]
                  ) -> tuple[dict[str, list[float]], float]:
    from pim.db import read_session
    from pim.search import build_query, search

    latencies: dict[str, list[float]] = {}
    total = 0.0
    for kind, items in queries.items():
        times = []
        for i, arguments in enumerate(items):
            started = time.perf_counter()
            with read_session(url) as session:
                search(session, build_query(session, **arguments))
            elapsed = time.perf_counter() - started
            if i >= WARMUP:
                times.append(elapsed * 1000)
                total += elapsed
        latencies[kind] = times
    return latencies, total


def _bare_fts(url: str, queries: dict[str, list[dict]]) -> tuple[list[float], float]:
    """The raw limit: FTS5 MATCH ... LIMIT 50 on a plain sqlite3 connection, same words."""
    import sqlite3

    from pim.search.query import words_of

    connection = sqlite3.connect(url.split("///", 1)[1])
    times: list[float] = []
    total = 0.0
    for items in queries.values():
        for i, arguments in enumerate(items):
            words = words_of(arguments["text"])
            match = " AND ".join(f'"{w}"*' for w in words)
            started = time.perf_counter()
            connection.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ? "
                               "LIMIT 50", (match,)).fetchall()
            elapsed = time.perf_counter() - started
            if i >= WARMUP:
                times.append(elapsed * 1000)
                total += elapsed
    connection.close()
    return times, total


def _notes(latencies: dict[str, list[float]]) -> str:
    return "; ".join(f"{kind} p50 {percentile(times, 50):.1f} p99 {percentile(times, 99):.1f}"
                     for kind, times in latencies.items())


@workload("search_sqlite", size=100_000, unit="queries")
def search_sqlite(size: int) -> Measurement:
    url = _sqlite_catalog(size)
    wire_hub()
    queries = _queries(url)
    latencies, seconds = _time_queries(url, queries)
    base_times, base_seconds = _bare_fts(url, queries)
    every = [t for times in latencies.values() for t in times]
    return Measurement(items=len(every), seconds=seconds, baseline_seconds=base_seconds,
                       latencies_ms=every, baseline_latencies_ms=base_times,
                       notes=f"{size} products, SQLite, in-process, one at a time (ms): "
                             + _notes(latencies))


@workload("search_postgres", size=100_000, unit="queries")
def search_postgres(size: int) -> Measurement:
    url = _postgres_catalog(size)
    wire_hub()
    queries = _queries(url)
    latencies, seconds = _time_queries(url, queries)
    every = [t for times in latencies.values() for t in times]
    return Measurement(items=len(every), seconds=seconds, latencies_ms=every,
                       notes=f"{size} products, PostgreSQL, in-process, one at a time (ms): "
                             + _notes(latencies))


def _postgres_catalog(size: int) -> str:
    from sqlalchemy import create_engine, func, select, text

    import pim.models as models
    from pim.catalog.models import Product
    from pim.db import session_factory

    url = os.environ.get("PIM_BENCH_POSTGRES_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/bench_search")
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    _use(url)
    wire_hub()
    engine = create_engine(url)
    models.Base.metadata.create_all(engine)
    engine.dispose()
    with session_factory(url)() as session:
        count = session.scalar(select(func.count()).select_from(Product)) or 0
    if count < size:
        from pim.demo import load_demo

        load_demo(session_factory(url), products=size, seed=7)
        _index(url)
    # Planner statistics, as autovacuum keeps them in service (it may be off on a test
    # server): unanalysed, a 100-row guess per table picks the plans.
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return url


@workload("search_reindex", size=100_000, unit="products")
def search_reindex(size: int) -> Measurement:
    url = _sqlite_catalog(size)
    seconds = _index(url)
    return Measurement(items=size, seconds=seconds,
                       notes=f"{size} products, SQLite, full reindex in place")


@workload("search_freshness", size=100_000, unit="edits")
def search_freshness(size: int) -> Measurement:
    """Commit to found: an edit's new word searched for every 10 ms until it is found."""
    url = _sqlite_catalog(size)
    wire_hub()
    from pim.catalog.products import CatalogCache, WritePolicy, write_products
    from pim.db import read_session, session_scope
    from pim.jobs.embedded import start_embedded_runner, stop_embedded_runner
    from pim.records import ProductRecord
    from pim.search import SearchQuery, search

    start_embedded_runner()
    waits: list[float] = []
    try:
        for n in range(20):
            word = f"zq{n}x{time.time_ns() % 100000}"
            with session_scope(url) as session:
                write_products(session, [ProductRecord(
                    sku=f"FRESH-{n}", family="electronics",
                    values={"name": [{"locale": "en_GB", "scope": None, "data": word}]})],
                    actor="bench", source="api", policy=WritePolicy("system"),
                    cache=CatalogCache(session))
            committed = time.perf_counter()
            while True:
                with read_session(url) as session:
                    if search(session, SearchQuery(text=word)).items:
                        break
                if time.perf_counter() - committed > 30:
                    raise RuntimeError(f"{word} not searchable after 30 s")
                time.sleep(0.01)
            waits.append((time.perf_counter() - committed) * 1000)
    finally:
        stop_embedded_runner()
    return Measurement(items=len(waits), seconds=sum(waits) / 1000, latencies_ms=waits,
                       notes=f"{size} products, SQLite, embedded runner; commit to found, ms: "
                             f"median {statistics.median(waits):.0f}, worst {max(waits):.0f}")


def _api(size: int, make_paths: Callable[[list[str]], list[str]]) -> Measurement:
    from tests.bench.workloads import api

    url = _sqlite_catalog(size)
    original = api._catalog

    def indexed_catalog(n: int):
        original(n)  # the catalog the indexed copy was made from, built when missing
        _use(url)
        return (url, *api.bench_token(url))

    api._catalog = indexed_catalog  # the same measurement, over the indexed copy
    try:
        return api._measure(size, make_paths)
    finally:
        api._catalog = original


@workload("api_search", size=100_000, unit="requests")
def api_search(size: int) -> Measurement:
    rng = random.Random(5)
    words = ["speaker", "premium headphones", "jack", "voltia", "gasket", "kugel"]
    return _api(size, lambda skus: [
        f"/api/v1/search?q={rng.choice(words).replace(' ', '+')}&facets=family,category"
        if n % 2 else f"/api/v1/search?q={rng.choice(skus)[2:8]}"
        for n in range(1500)])


@workload("api_product_list_search", size=100_000, unit="requests")
def api_product_list_search(size: int) -> Measurement:
    rng = random.Random(6)
    words = ["speaker", "premium", "jacket", "voltia", "gasket", "headph"]
    families = ["electronics", "apparel", "spare_parts"]
    return _api(size, lambda skus: [
        f"/api/v1/products?limit=50&search={rng.choice(words)}&family={rng.choice(families)}"
        if n % 2 else f"/api/v1/products?limit=50&search={rng.choice(words)}&enabled=true"
        for n in range(1500)])
