"""Importer parse throughput, and the two XLSX readers side by side.

Files are generated once under var/bench/ and reused (the XLSX takes a while to write).
"""

from __future__ import annotations

import csv
import time
from decimal import Decimal
from pathlib import Path

from tests.bench.harness import Measurement, workload

BENCH_DIR = Path("var/bench")
CHANNELS = {"webshop", "print"}


def bench_context():
    from pim.records import AttributeSpec, CatalogContext, FamilySpec, UnitFamilySpec

    specs = [AttributeSpec(f"text_{n}", "text") for n in range(6)]
    specs += [AttributeSpec(f"number_{n}", "number") for n in range(4)]
    specs += [AttributeSpec(f"flag_{n}", "boolean") for n in range(2)]
    specs += [
        AttributeSpec("title", "text", localizable=True),
        AttributeSpec("description", "textarea", localizable=True, scopable=True),
        AttributeSpec("color", "select", options={c: {} for c in ("red", "blue", "green")}),
        AttributeSpec("tags", "multiselect", options={t: {} for t in ("new", "sale", "eco")}),
        AttributeSpec("release_date", "date"),
        AttributeSpec("price", "price"),
        AttributeSpec("weight", "measurement", unit_family="Weight", default_unit="KILOGRAM"),
        AttributeSpec("ean", "identifier"),
    ]
    return CatalogContext(
        attributes={s.code: s for s in specs},
        families={"shirts": FamilySpec("shirts", [])},
        unit_families={"Weight": UnitFamilySpec("Weight", "KILOGRAM",
                                                {"GRAM": Decimal("0.001"),
                                                 "KILOGRAM": Decimal("1")})},
        locales=["en_US", "de_DE"], currencies=["EUR", "USD"])


HEADER = (["sku", "family", "enabled"] + [f"text_{n}" for n in range(6)]
          + [f"number_{n}" for n in range(4)] + ["flag_0", "flag_1", "title-en_US",
          "description-en_US-webshop", "color", "tags", "release_date", "price-EUR", "weight",
          "weight-unit", "ean"])


def product_rows(size: int):
    colors, tags = ("red", "blue", "green"), ("new", "new,sale", "eco")
    for i in range(size):
        yield ([f"SKU-{i:08d}", "shirts", "1"] + [f"Text {n} of product {i}" for n in range(6)]
               + [str(i % 1000), f"{i % 97}.5", str(i % 13), f"{i % 7}.25"]
               + [str(i % 2), "yes", f"Product {i}", f"<p>Description of product {i}</p>",
                  colors[i % 3], tags[i % 3], f"2024-{i % 12 + 1:02d}-15", f"{i % 90}.99",
                  str(i % 900), "GRAM", "4006381333931"])


def generated(name: str, size: int, write) -> Path:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    stem, suffix = Path(name).stem, Path(name).suffix
    path = BENCH_DIR / f"{stem}-{size}{suffix}"
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        write(partial, size)
        partial.rename(path)
    return path


def write_products_csv(path: Path, size: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(product_rows(size))


def write_xlsx(path: Path, size: int, header=HEADER, rows=product_rows) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Products")
    sheet.append(header)
    for row in rows(size):
        sheet.append(row)
    workbook.save(path)


def parse_all(path: Path) -> int:
    from importers import open_source

    count = 0
    for item in open_source(path, context=bench_context(), channels=CHANNELS,
                            kind="product").records():
        if item.__class__.__name__ == "RowError":
            raise AssertionError(f"unexpected row error: {item}")
        count += 1
    return count


@workload("import_parse_csv", size=100_000, unit="products")
def import_parse_csv(size: int) -> Measurement:
    path = generated("products.csv", size, write_products_csv)
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as fh:
        baseline_rows = sum(1 for _ in csv.reader(fh)) - 1
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    count = parse_all(path)
    seconds = time.perf_counter() - started
    assert count == baseline_rows == size
    return Measurement(items=count, seconds=seconds, baseline_seconds=baseline,
                       notes="20 attributes; baseline: bare csv.reader")


@workload("import_parse_xlsx", size=100_000, unit="products")
def import_parse_xlsx(size: int) -> Measurement:
    import python_calamine

    path = generated("products.xlsx", size, write_xlsx)
    started = time.perf_counter()
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    baseline_rows = sum(1 for _ in workbook.get_sheet_by_name("Products").iter_rows()) - 1
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    count = parse_all(path)
    seconds = time.perf_counter() - started
    assert count == baseline_rows == size
    return Measurement(items=count, seconds=seconds, baseline_seconds=baseline,
                       notes="20 attributes; baseline: bare calamine iter_rows")


WIDE_HEADER = [f"col_{n}" for n in range(25)]


def wide_rows(size: int):
    for i in range(size):
        yield ([f"SKU-{i:08d}"] + [f"Some text {i} {n}" for n in range(12)]
               + [i * 0.5 + n for n in range(12)])


def write_wide_xlsx(path: Path, size: int) -> None:
    write_xlsx(path, size, WIDE_HEADER, wide_rows)


@workload("xlsx_reader_openpyxl", size=100_000, unit="rows")
def xlsx_reader_openpyxl(size: int) -> Measurement:
    import openpyxl

    path = generated("wide.xlsx", size, write_wide_xlsx)
    started = time.perf_counter()
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in workbook["Products"].iter_rows(values_only=True)) - 1
    workbook.close()
    return Measurement(items=count, seconds=time.perf_counter() - started,
                       notes="25 columns, openpyxl read_only + values_only")


@workload("xlsx_reader_calamine", size=100_000, unit="rows")
def xlsx_reader_calamine(size: int) -> Measurement:
    import python_calamine

    path = generated("wide.xlsx", size, write_wide_xlsx)
    started = time.perf_counter()
    workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    count = sum(1 for _ in workbook.get_sheet_by_name("Products").iter_rows()) - 1
    return Measurement(items=count, seconds=time.perf_counter() - started,
                       notes="25 columns, python-calamine iter_rows")


@workload("import_parse_csv_1m", size=1_000_000, unit="products")
def import_parse_csv_1m(size: int) -> Measurement:
    """The million-row file: peak RSS in the table shows memory stays flat."""
    return import_parse_csv(size)
