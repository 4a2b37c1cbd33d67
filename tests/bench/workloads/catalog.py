"""Foundation workload: bulk upsert of demo products through the one write path."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from tests.bench.harness import Measurement, wire_hub, workload

BENCH_DIR = Path("var/bench")


def _fresh_sqlite(name: str) -> str:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(BENCH_DIR / f"{name}.db{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{BENCH_DIR / name}.db"


def _use_database(url: str) -> None:
    """Make ``url`` the app's database, so the completeness job a big write enqueues after
    commit lands next to the products (as in production) and no runner is woken elsewhere."""
    from pim.config import get_settings

    os.environ.update(PIM_DATABASE_URL=url, PIM_REDIS_URL="")
    get_settings.cache_clear()


@workload("catalog_upsert", size=100_000, unit="products")
def catalog_upsert(size: int) -> Measurement:
    """``size`` demo products (apparel variants, electronics, spare parts) written with full
    validation, history and dirty flags, 1000 per transaction, into SQLite. Baseline: a bare
    executemany INSERT of the same rows' columns into the same table, no validation."""
    wire_hub()
    from sqlalchemy import create_engine, insert

    import pim.models as models
    from pim.db import get_engine, session_factory
    from pim.demo import generate, load_structure

    url = _fresh_sqlite("upsert")
    _use_database(url)
    models.Base.metadata.create_all(get_engine(url))
    factory = session_factory(url)
    with factory() as session, session.begin():
        load_structure(session)
    records = list(generate(size, seed=7))

    from pim.catalog.product_models import write_product_models
    from pim.catalog.products import CatalogCache, WritePolicy, write_products

    product_models = [r for r in records if r.kind == "product_model"]
    products = [r for r in records if r.kind == "product"]
    started = time.perf_counter()
    with factory() as session, session.begin():
        write_product_models(session, product_models, actor="bench", source="bench",
                             policy=WritePolicy("system"))
    for start in range(0, len(products), 1000):
        with factory() as session, session.begin():
            results = write_products(session, products[start:start + 1000], actor="bench",
                                     source="bench", policy=WritePolicy("system"),
                                     cache=CatalogCache(session))
            assert all(r.ok for r in results), [r for r in results if not r.ok][:1]
    seconds = time.perf_counter() - started

    raw_url = _fresh_sqlite("upsert_raw")
    raw_engine = create_engine(raw_url)
    models.Base.metadata.create_all(raw_engine)
    rows = [{"sku": r.sku, "family_code": None, "values": r.values} for r in products]
    json.dumps(rows[0]["values"])
    started = time.perf_counter()
    for start in range(0, len(rows), 1000):
        with raw_engine.begin() as conn:
            conn.execute(insert(models.Product), rows[start:start + 1000])
    baseline = time.perf_counter() - started
    raw_engine.dispose()
    shutil.rmtree(BENCH_DIR / "unused", ignore_errors=True)
    return Measurement(items=len(products), seconds=seconds, baseline_seconds=baseline,
                       notes="SQLite, 1000 per transaction")


IMPORT_HEADER = [
    "sku", "family", "categories", "name-en_GB", "name-de_DE", "description-en_GB", "brand",
    "ean", "mpn", "price-GBP", "price-EUR", "sale_price-GBP", "weight", "weight-unit",
    "screen_size", "screen_size-unit", "power", "power-unit", "voltage", "voltage-unit",
    "warranty_years", "release_date", "features", "condition", "erp_name", "part_number",
]


def write_import_csv(path: Path, size: int) -> None:
    """``size`` electronics products with 20 attributes each, in the column convention."""
    import csv
    import random

    from pim.records import gtin_with_check_digit

    rng = random.Random(3)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(IMPORT_HEADER)
        for i in range(size):
            price = rng.randrange(1000, 99999) / 100
            writer.writerow([
                f"EL-{i:07d}", "electronics", rng.choice(["audio", "tv", "computing"]),
                f"Speaker {i}", f"Lautsprecher {i}", f"<p>Speaker {i}, built to last.</p>",
                rng.choice(["Voltia", "Sonara"]),
                gtin_with_check_digit(f"50{i:010d}"), f"MPN-{i}", f"{price:.2f}",
                f"{price * 1.17:.2f}", f"{price * 0.9:.2f}", f"{rng.randrange(1, 9000) / 1000}",
                "KILOGRAM", "27", "INCH", str(rng.randrange(5, 300)), "WATT", "230", "VOLT",
                "2", "2025-06-01", "bluetooth,wifi", "new", f"SPK {i}", f"P{i:08d}",
            ])


def write_import_xlsx(path: Path, csv_path: Path) -> None:
    """The import CSV as one sheet of a workbook (openpyxl write-only)."""
    import csv

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Products")
    with csv_path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            sheet.append(row)
    workbook.save(path)


def _file_rows(path: Path):
    """The raw limit's reader: header and rows of the file, nothing else."""
    if path.suffix == ".xlsx":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
        return ([str(cell) for cell in row] for row in rows)
    return _csv_rows(path)


def _csv_rows(path: Path):
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        yield from csv.reader(handle)


def _import(size: int, kind: str) -> Measurement:
    wire_hub()
    import resource

    from sqlalchemy import create_engine, insert

    import pim.models as models
    from importers import open_source
    from pim.catalog.importing import apply_import
    from pim.catalog.structure import load_context
    from pim.db import get_engine, session_factory
    from pim.demo import load_structure
    from pim.media.importing import ImportMedia

    path = BENCH_DIR / f"import_{size}.csv"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        write_import_csv(path, size)
    if kind == "xlsx":
        csv_path, path = path, BENCH_DIR / f"import_{size}.xlsx"
        if not path.exists():
            write_import_xlsx(path, csv_path)
    url = _fresh_sqlite("import")
    _use_database(url)
    models.Base.metadata.create_all(get_engine(url))
    factory = session_factory(url)
    with factory() as session, session.begin():
        load_structure(session)
        context = load_context(session)
        channels = set(session.scalars(models.Channel.__table__.select().with_only_columns(
            models.Channel.code)))
    started = time.perf_counter()
    # As the import job runs it: with the media hook (this file has no media columns).
    media = ImportMedia(None, source="import:bench", actor="bench")
    report = apply_import(factory, open_source(path, context=context, channels=channels)
                          .records(), source="import:bench", actor="bench", hook=media)
    seconds = time.perf_counter() - started
    assert report.created == size and report.error_count == 0, report.summary()

    raw_engine = create_engine(_fresh_sqlite("import_raw"))
    models.Base.metadata.create_all(raw_engine)
    started = time.perf_counter()
    rows = _file_rows(path)
    header = next(rows)
    batch = []
    for row in rows:
        batch.append({"sku": row[0], "values": dict(zip(header, row, strict=False))})
        if len(batch) == 1000:
            with raw_engine.begin() as conn:
                conn.execute(insert(models.Product.__table__), batch)
            batch = []
    if batch:
        with raw_engine.begin() as conn:
            conn.execute(insert(models.Product.__table__), batch)
    baseline = time.perf_counter() - started
    raw_engine.dispose()
    # The file is read by a worker process (pim.catalog.import_worker): the peak RSS above
    # is this process's; the worker's is noted.
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    reader = (f"read by a worker process (peak RSS {worker_mb:.0f} MB)" if worker_mb
              else "read inline (a small file)")
    return Measurement(items=size, seconds=seconds, baseline_seconds=baseline,
                       notes=f"{kind.upper()} -> SQLite, 20 attributes, 1000 per transaction; "
                             f"{reader}")


@workload("import_csv", size=100_000, unit="products")
def import_csv(size: int) -> Measurement:
    """A ``size``-product CSV (20 attributes) parsed, validated and written into SQLite by
    the import path, 1000 per transaction. Baseline: reading the file with csv.reader plus a
    bare executemany INSERT of the same rows (the raw limit)."""
    return _import(size, "csv")


@workload("import_xlsx", size=100_000, unit="products")
def import_xlsx(size: int) -> Measurement:
    """The same products from an XLSX workbook. Baseline: reading the sheet with calamine
    plus the same bare INSERT."""
    return _import(size, "xlsx")
