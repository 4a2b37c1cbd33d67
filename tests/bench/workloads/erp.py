"""ERP pulls against a local Tryton 8.2 with 5,000 products (built once, kept under
var/tryton/): a full pull into a fresh SQLite hub against a bare ``search_read`` paging loop
over the same fields, and incremental pulls that each find one changed product."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from tests.bench.harness import Measurement, wire_hub, workload
from tests.bench.workloads.catalog import _fresh_sqlite, _use_database

PASSWORD_ENV = "PIM_BENCH_TRYTON_PASSWORD"


class _Tryton:
    """A trytond on a free port serving a copy of the seeded database."""

    def __init__(self, size: int):
        import os

        from tests.tryton_server import (
            ADMIN_PASSWORD,
            TrytonAdmin,
            TrytonServer,
            ensure_tryton,
            seeded_database,
        )

        venv = ensure_tryton()
        seeded = seeded_database(venv, size)
        self.directory = tempfile.TemporaryDirectory(prefix="bench-tryton-")
        self.server = TrytonServer(venv, Path(self.directory.name)).start()
        self.name = self.server.new_database("bench", source=seeded)
        self.admin = TrytonAdmin(self.server.url, self.name)
        os.environ[PASSWORD_ENV] = ADMIN_PASSWORD

    def connector(self, **overrides):
        from importers.erp import parse_connector

        return parse_connector({
            "connector": "tryton", "name": "bench", "url": self.server.url,
            "database": self.name, "username": "admin", "password_env": PASSWORD_ENV,
            "family": "spare_parts", "stock": {"STO": "warehouse_uk"},
            "mapping": {"ean": "erp_ean"}, **overrides})

    def close(self) -> None:
        self.admin.close()
        self.server.stop()
        self.directory.cleanup()


# Attributes the demo lacks, so that every field of Tryton's default mapping is written.
EXTRA_ATTRIBUTES = {"cost_price": "price", "unit": "text", "erp_category": "text",
                    "erp_ean": "identifier"}


def _hub(name: str):
    """A fresh SQLite hub: the demo's structure, and spare parts with an ERP-owned
    attribute for each field of Tryton's default mapping (the EAN as erp_ean)."""
    import pim.models as models
    from pim.catalog.models import Family
    from pim.catalog.structure import apply_structure
    from pim.db import get_engine, session_factory
    from pim.demo import load_structure

    url = _fresh_sqlite(name)
    _use_database(url)
    models.Base.metadata.create_all(get_engine(url))
    factory = session_factory(url)
    with factory.begin() as session:
        load_structure(session)
        for code, kind in EXTRA_ATTRIBUTES.items():
            apply_structure(session, "attribute", code, {"type": kind, "owner": "erp"})
        family = session.get(Family, "spare_parts")
        family.attributes = [*family.attributes, *EXTRA_ATTRIBUTES]
    return factory


def _pull_fields(config, factory) -> tuple[list[str], dict]:
    """The fields and context a pull of ``config`` into ``factory``'s hub reads."""
    from importers.erp import TrytonSource
    from pim.catalog.products import CatalogCache
    from pim.erp.mapping import resolve_mapping

    with factory() as session:
        cache = CatalogCache(session)
    resolved = resolve_mapping(config, cache.context, families=cache.family_attributes,
                               stock_sources=set())
    assert not [n for n in resolved.notes if "left out" in n], resolved.notes
    source = TrytonSource(config, resolved.targets)
    try:
        source.connect()
        return source._read_fields(), {"active_test": False, "with_childs": True,
                                       "locations": list(source.locations.values())[:1]}
    finally:
        source.close()


def _bare_paging_loop(config, fields: list[str], context: dict) -> int:
    """``search_read`` pages of the pull's size over the pull's fields, ids ascending: what
    reading alone costs (login and company look-up included, as in the pull)."""
    from importers.erp import TrytonSource

    source = TrytonSource(config, {})
    try:
        source.connect()
        read, last_id = 0, 0
        while True:
            rows = source.rpc.model("product.product", "search_read", [("id", ">", last_id)],
                                    0, config.page_size, [["id", "ASC"]], fields,
                                    context=context)
            read += len(rows)
            if len(rows) < config.page_size:
                return read
            last_id = rows[-1]["id"]
    finally:
        source.close()


@workload("erp_full_pull", size=5000, unit="products")
def erp_full_pull(size: int) -> Measurement:
    """A full pull of ``size`` Tryton products (default mapping onto the demo's spare parts,
    stock of one location) into a fresh SQLite hub, pages of 200. Baseline: the bare
    ``search_read`` loop over the same pages and fields, no writes."""
    wire_hub()
    from pim.erp import pull

    tryton = _Tryton(size)
    baselines, pulls = [], []
    try:
        config = tryton.connector()
        fields, context = _pull_fields(config, _hub("erp_full_fields"))
        _bare_paging_loop(config, fields, context)  # warms Tryton's caches alike
        # Interleaved, the median of three each: the host is shared and its load drifts.
        for attempt in range(3):
            started = time.perf_counter()
            read = _bare_paging_loop(config, fields, context)
            baselines.append(time.perf_counter() - started)
            factory = _hub(f"erp_full_{attempt}")
            started = time.perf_counter()
            report = pull(config, session_factory=factory)
            pulls.append(time.perf_counter() - started)
            assert report.created == size and read == size, (report.summary(), read)
    finally:
        tryton.close()
    seconds, baseline = statistics.median(pulls), statistics.median(baselines)
    return Measurement(items=size, seconds=seconds, baseline_seconds=baseline,
                       notes=f"Tryton 8.2 on SQLite, same machine; pulls "
                             f"{', '.join(f'{p:.1f}' for p in pulls)} s, bare loops "
                             f"{', '.join(f'{b:.1f}' for b in baselines)} s (medians "
                             f"compared); {report.summary()}")


@workload("erp_incremental_pull", size=5000, unit="pulls")
def erp_incremental_pull(size: int) -> Measurement:
    """Among ``size`` Tryton products already pulled, one product's price changes; an
    incremental pull finds it and writes it. Ten rounds; the latencies are whole pulls
    (login, change search, id list for deletions, stock moves, writes, watermark)."""
    wire_hub()
    from pim.erp import pull

    tryton = _Tryton(size)
    latencies: list[float] = []
    try:
        # No overlap: the seeded products may all have been created within it, and the
        # point is the cost of finding one change among them.
        config = tryton.connector(overlap="0s")
        factory = _hub("erp_incremental")
        pull(config, session_factory=factory)
        for round_ in range(10):
            sku = f"B-{(round_ * 397) % size + 1:06d}"
            time.sleep(0.01)
            tryton.admin.set_list_price(sku, f"{900 + round_}.00")
            started = time.perf_counter()
            report = pull(config, session_factory=factory)
            latencies.append((time.perf_counter() - started) * 1000)
            assert report.updated == 1, report.summary()
    finally:
        tryton.close()
    return Measurement(items=len(latencies), seconds=sum(latencies) / 1000,
                       latencies_ms=latencies,
                       notes=f"one changed product among {size}; target < 2 s per pull")
