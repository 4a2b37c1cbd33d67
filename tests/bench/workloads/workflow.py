"""Workflow workloads: completeness through the hub (load, project, check, write rows).

``completeness_recompute``: a full recompute of the demo catalog in four channels (the job a
channel or schema change runs), one transaction per 1000 products, into SQLite. Baseline:
only loading the same products for projection (the I/O floor of the job).

``completeness_incremental``: one product edited per transaction through the catalog's write
path, its completeness refreshed inline by the write hook; latencies are whole transactions.
The demo's completeness is computed first (untimed), as the refresh job would have.
Baseline: the same edits with the completeness refresh switched off.
"""

from __future__ import annotations

import time

from tests.bench.harness import Measurement, wire_hub, workload
from tests.bench.workloads.catalog import _fresh_sqlite

CHANNELS = ["webshop-uk", "webshop-ie", "google-retail", "distributor-eu"]


def _demo_database(name: str, products: int) -> str:
    wire_hub()
    import pim.models as models
    from pim.db import get_engine, session_factory
    from pim.demo import load_demo
    from pim.workflow import jobs

    url = _fresh_sqlite(name)
    models.Base.metadata.create_all(get_engine(url))
    # The demo writes 1000 products per batch: those defer to the refresh job, which this
    # benchmark runs itself (timed) rather than in the background.
    jobs.enqueue_completeness_refresh = lambda: None
    load_demo(session_factory(url), products=products, seed=7)
    return url


@workload("completeness_recompute", size=100_000, unit="products")
def completeness_recompute(size: int) -> Measurement:
    from sqlalchemy import func, select

    from pim.db import session_factory
    from pim.workflow.completeness import ProjectionSetup, recompute_all
    from pim.workflow.loading import iter_product_id_batches, load_products
    from pim.workflow.models import Completeness

    url = _demo_database("completeness", size)
    factory = session_factory(url)
    started = time.perf_counter()
    done = recompute_all(factory, channels=CHANNELS)
    seconds = time.perf_counter() - started

    started = time.perf_counter()
    with factory() as session:
        setup = ProjectionSetup.load(session, CHANNELS)
        for ids in iter_product_id_batches(session):
            load_products(session, ids, setup.models)
    baseline = time.perf_counter() - started
    with factory() as session:
        rows = session.scalar(select(func.count()).select_from(Completeness))
        failing = session.scalar(select(func.count()).where(Completeness.passed.is_(False)))
    return Measurement(items=done, seconds=seconds, baseline_seconds=baseline,
                       notes=f"{len(CHANNELS)} channels, {rows} rows ({failing} failing); "
                             "baseline: loading the products only")


@workload("completeness_incremental", size=500, unit="edits")
def completeness_incremental(size: int) -> Measurement:
    import random

    from sqlalchemy import select

    from pim.catalog.models import Product
    from pim.catalog.products import CatalogCache, WritePolicy, write_products
    from pim.db import session_factory
    from pim.records import ProductRecord
    from pim.workflow import completeness

    url = _demo_database("incremental", 5000)
    factory = session_factory(url)
    # A hub's completeness is up to date between edits: edits replace existing rows.
    completeness.refresh_dirty_completeness(factory)
    with factory() as session:
        skus = list(session.scalars(select(Product.sku).order_by(Product.id)))
    rng = random.Random(3)

    def edits(count: int) -> list[float]:
        latencies = []
        for n in range(count):
            sku = rng.choice(skus)
            record = ProductRecord(sku=sku, values={"brand": [
                {"locale": None, "scope": None, "data": f"Brand {n}-{rng.random()}"}]})
            began = time.perf_counter()
            with factory() as session, session.begin():
                cache = CatalogCache(session)
                write_products(session, [record], actor="bench", source="bench",
                               policy=WritePolicy("system"), cache=cache)
            latencies.append((time.perf_counter() - began) * 1000)
        return latencies

    edits(20)  # warm caches (validators, statements)
    latencies = edits(size)
    original = completeness.refresh_completeness
    completeness.refresh_completeness = lambda *a, **k: 0
    try:
        baseline = edits(size)
    finally:
        completeness.refresh_completeness = original
    return Measurement(items=size, seconds=sum(latencies) / 1000,
                       baseline_seconds=sum(baseline) / 1000, latencies_ms=latencies,
                       baseline_latencies_ms=baseline,
                       notes="whole write transaction incl. CatalogCache; baseline: same "
                             "edits without the completeness refresh")
