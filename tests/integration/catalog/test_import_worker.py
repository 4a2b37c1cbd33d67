"""Imports read by a worker process: the same records, checks and reports as reading the
file inline, and clear, consistent failures when the worker cannot go on."""

import csv

import pytest
from sqlalchemy import Text, cast, func, select

import pim.catalog.import_worker as import_worker
import pim.catalog.importing as importing
from importers import open_source
from pim.catalog.import_worker import ImportWorkerError, WorkerRecords
from pim.catalog.importing import ImportAborted, apply_import
from pim.catalog.models import Product
from pim.catalog.products import WritePolicy
from pim.history.models import HistoryEntry
from pim.records import ProductRecord

HEADER = ["sku", "family", "categories", "enabled", "name-en_GB", "name-de_DE",
          "description-en_GB", "brand", "ean", "price-GBP", "price-EUR", "weight", "weight-unit",
          "condition", "features", "warranty_years", "part_number"]


def row(sku, **cells):
    number = sku.split("-")[-1]
    values = {"sku": sku, "family": "electronics", "categories": "tv,audio", "enabled": "",
              "name-en_GB": f"Speaker {number}", "name-de_DE": f"Lautsprecher {number}",
              "description-en_GB": f"<p>Speaker {number}</p><script>x()</script>",
              "brand": "Voltia", "ean": "", "price-GBP": "12.5", "price-EUR": "14",
              "weight": "1.25", "weight-unit": "KILOGRAM", "condition": "new",
              "features": "wifi,bluetooth", "warranty_years": "2", "part_number": f"P{number}"}
    values.update(cells)
    return [values[name] for name in HEADER]


def messy_rows(prefix):
    """Good rows with, among them, every kind of row problem the reader and checks find."""
    rows = [row(f"{prefix}-{i}") for i in range(40)]
    rows[3] = row(f"{prefix}-3", ean="5012345678901")  # wrong check digit
    rows[7] = row(f"{prefix}-7", **{"price-GBP": "12,5x"})
    rows[11] = row(f"{prefix}-11", categories="audio,nowhere")
    rows[13] = row(f"{prefix}-12")  # a duplicate SKU
    rows[17] = row(f"{prefix}-17", condition="mint")  # not an option
    rows[19] = row(f"{prefix}-19", warranty_years="2.5")  # decimals not allowed
    rows[23] = row(f"{prefix}-23", **{"weight-unit": "PARSEC"})
    rows[29] = [*row(f"{prefix}-29"), "stray"]  # ragged
    rows[31] = row(f"{prefix}-31", family="", categories="", enabled="0")
    rows[33] = row(f"{prefix}-33", family="apparel")  # values outside the family
    return rows


def write_csv(path, rows, header=HEADER):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(factory, catalog, path, **kw):
    context, channels = catalog
    kw.setdefault("read_in_worker", True)
    return apply_import(factory, open_source(path, context=context, channels=channels).records(),
                        source="import:test", actor="importer", **kw)


def stored(factory, prefix):
    """Products and history rows of the SKUs with ``prefix``, JSON columns as stored text."""
    with factory() as s:
        products = {sku.split("-", 1)[1]: (family, values) for sku, family, values in
                    s.execute(select(Product.sku, Product.family_code,
                                     cast(Product.values, Text))
                              .where(Product.sku.like(f"{prefix}-%")))}
        history = {code.split("-", 1)[1]: (version, diff, state.replace(f'"{prefix}-', '"'))
                   for code, version, diff, state in s.execute(
                       select(HistoryEntry.code, HistoryEntry.version,
                              cast(HistoryEntry.diff, Text), cast(HistoryEntry.state, Text))
                       .where(HistoryEntry.code.like(f"{prefix}-%")))}
    return products, history


def without_prefix(report):
    """The report with SKUs and the values naming them made comparable across files."""
    def clean(entry):
        return {k: (v.split("-", 1)[1] if isinstance(v, str) and v[:2] in ("A-", "B-") else v)
                for k, v in entry.items() if k != "message"} | {
                    "message": entry["message"].replace("'A-", "'").replace("'B-", "'")}

    data = report.as_dict()
    data.pop("seconds")
    data.pop("source")
    data["errors"] = [clean(e) for e in data["errors"]]
    data["conflicts"] = [clean(c) for c in data["conflicts"]]
    return data


@pytest.mark.parametrize("policy", [WritePolicy("import"), WritePolicy("erp")])
@pytest.mark.parametrize("make_products", ["always", "never"])
def test_a_file_read_by_the_worker_imports_exactly_as_read_inline(
        factory, catalog, tmp_path, monkeypatch, policy, make_products):
    monkeypatch.setattr(import_worker, "MAKE_PRODUCTS", make_products)
    inline = run(factory, catalog, write_csv(tmp_path / "a.csv", messy_rows("A")),
                 read_in_worker=False, batch_size=8, policy=policy)
    worker = run(factory, catalog, write_csv(tmp_path / "b.csv", messy_rows("B")),
                 batch_size=8, policy=policy)
    assert inline.error_count >= 9 and inline.created >= 20
    assert without_prefix(worker) == without_prefix(inline)
    a_products, a_history = stored(factory, "A")
    b_products, b_history = stored(factory, "B")
    assert b_history == a_history and len(a_history) == inline.created
    assert b_products == a_products


def test_running_the_same_file_again_through_the_worker_writes_nothing(factory, catalog,
                                                                       tmp_path):
    path = write_csv(tmp_path / "a.csv", messy_rows("A"))
    first = run(factory, catalog, path)
    with factory() as s:
        history = s.scalar(select(func.count()).select_from(HistoryEntry))
    again = run(factory, catalog, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(HistoryEntry)) == history


def test_values_are_checked_again_when_the_files_context_is_not_the_catalogs(
        factory, catalog, tmp_path):
    context, channels = catalog
    context.attributes["condition"].options["mint"] = {}  # an option the catalog lacks
    path = write_csv(tmp_path / "a.csv", [row("A-1", condition="mint"), row("A-2")])
    report = run(factory, (context, channels), path)
    assert (report.created, report.refused) == (1, 1)
    assert report.errors[0]["column"] == "condition"
    assert "not an option" in report.errors[0]["message"]


def test_a_stored_product_is_checked_against_its_own_family(factory, catalog, tmp_path):
    with factory() as s, s.begin():
        from tests.factories import write

        write(s, ProductRecord(sku="A-1", family="apparel", values={}))
    header = ["sku", "screen_size", "screen_size-unit"]
    path = write_csv(tmp_path / "a.csv", [["A-1", "27", "INCH"], ["A-2", "27", "INCH"]], header)
    report = run(factory, catalog, path)
    assert (report.created, report.refused) == (1, 1)
    assert report.errors[0]["sku"] == "A-1"
    assert "not an attribute of this product's family" in report.errors[0]["message"]


def test_an_unreadable_row_is_the_same_row_error_inline_and_in_the_worker(
        factory, catalog, tmp_path):
    # Past the bytes the encoding is guessed from: UTF-8, until a Latin-1 row.
    rows = [row(f"A-{i}", brand="Voltia " + "x" * 200) for i in range(400)]
    path = write_csv(tmp_path / "a.csv", rows)
    with path.open("ab") as handle:
        handle.write(b"A-400,electronics,audio,Caf\xe9,,,,,,,,\n")
    reports = [run(factory, catalog, path, batch_size=100, read_in_worker=read_in_worker)
               for read_in_worker in (False, True)]
    assert [(r.rows, r.skipped, r.errors) for r in reports] == [
        (r.rows, r.skipped, r.errors) for r in reversed(reports)]
    [error] = reports[0].errors
    assert error["row"] == 402 and "line 402 is not valid utf-8" in error["message"]
    assert reports[0].rows == 401 and reports[0].skipped == 1
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 400


@pytest.mark.slow
def test_a_worker_that_dies_stops_the_import_and_leaves_whole_batches(
        factory, catalog, tmp_path, monkeypatch):
    started = []

    class Watched(WorkerRecords):
        def __init__(self, *args, **kw):
            super().__init__(*args, **{**kw, "frame_records": 5})
            started.append(self)

    monkeypatch.setattr(importing, "WorkerRecords", Watched)
    path = write_csv(tmp_path / "a.csv", [row(f"A-{i}") for i in range(3000)])

    def kill_after_first_batch(done):
        started[0]._process.kill()

    with pytest.raises(ImportWorkerError, match="stopped unexpectedly"):
        run(factory, catalog, path, batch_size=10, progress=kill_after_first_batch)
    with factory() as s:
        written = s.scalar(select(func.count()).select_from(Product))
        history = s.scalar(select(func.count()).select_from(HistoryEntry))
    assert 10 <= written < 3000 and written % 10 == 0 and history == written


def test_an_aborted_import_stops_its_worker_and_writes_nothing(
        factory, catalog, tmp_path, monkeypatch):
    started = []

    class Watched(WorkerRecords):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            started.append(self)

    monkeypatch.setattr(importing, "WorkerRecords", Watched)
    rows = [row(f"A-{i}") for i in range(3000)]
    rows[40] = row("A-40", ean="5012345678901")
    with pytest.raises(ImportAborted, match="row 42"):
        run(factory, catalog, write_csv(tmp_path / "a.csv", rows), on_error="abort",
            batch_size=10)
    assert started[0]._process.poll() is not None
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 0


def test_a_dry_run_read_by_the_worker_reports_and_writes_nothing(factory, catalog, tmp_path):
    report = run(factory, catalog, write_csv(tmp_path / "a.csv", messy_rows("A")),
                 dry_run=True)
    assert report.dry_run and report.created > 20 and report.error_count > 8
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 0


def test_records_already_read_from_are_not_read_again_by_a_worker(factory, catalog, tmp_path):
    context, channels = catalog
    path = write_csv(tmp_path / "a.csv", [row(f"A-{i}") for i in range(5)])
    records = open_source(path, context=context, channels=channels).records()
    next(records)
    report = apply_import(factory, records, source="import:test", actor="importer",
                          read_in_worker=True)
    assert report.created == 4


class UpperBrands:
    """A hook rewriting the brand values it is given before each batch is written."""

    def __init__(self, declares: bool):
        if declares:
            self.rewritten_attributes = lambda session: {"brand"}

    def prepare(self, session, records):
        for record in records:
            for entry in record.values.get("brand", []):
                entry["data"] = entry["data"].upper()
        return []

    def written(self, session, records, results):
        return None


@pytest.mark.parametrize("declares", [True, False])
def test_values_a_hook_rewrites_are_checked_after_it(factory, catalog, tmp_path, declares):
    rows = [row(f"{prefix}-{i}", brand="" if i % 2 else "Voltia")
            for prefix in "A" for i in range(6)]
    inline = run(factory, catalog, write_csv(tmp_path / "a.csv", rows), read_in_worker=False,
                 hook=UpperBrands(declares))
    rows = [[cell.replace("A-", "B-") for cell in cells] for cells in rows]
    worker = run(factory, catalog, write_csv(tmp_path / "b.csv", rows),
                 hook=UpperBrands(declares))
    assert without_prefix(worker) == without_prefix(inline)
    assert stored(factory, "B") == tuple(
        {sku: tuple(part.replace("A-", "B-") if isinstance(part, str) else part
                    for part in parts) for sku, parts in table.items()}
        for table in stored(factory, "A"))
    with factory() as s:
        brands = {sku: values.get("brand") for sku, values in
                  s.execute(select(Product.sku, Product.values))}
    assert brands["B-0"] == [{"locale": None, "scope": None, "data": "VOLTIA"}]
    assert brands["B-1"] is None


def test_a_worker_that_cannot_start_leaves_the_file_to_be_read_inline(
        factory, catalog, tmp_path, monkeypatch):
    def no_interpreter(*args, **kw):
        raise FileNotFoundError("python")

    monkeypatch.setattr(import_worker.subprocess, "Popen", no_interpreter)
    report = run(factory, catalog, write_csv(tmp_path / "a.csv", messy_rows("A")))
    assert report.created > 20 and report.error_count > 8


@pytest.mark.parametrize("read_in_worker", [True, False])
def test_every_data_row_is_accounted_for_despite_an_open_quote_nul_and_bad_utf8(
        factory, catalog, tmp_path, read_in_worker):
    # 2,000 rows: row 501 holds invalid UTF-8, row 1001 a NUL byte, row 1501 opens a quote
    # nothing closes; row 1600 is ragged. Every other row is imported.
    path = write_csv(tmp_path / "broken.csv", [row(f"C-{i}") for i in range(2000)])
    lines = path.read_bytes().split(b"\n")
    lines[501] = lines[501].replace(b"Speaker", b"Speak\xe9r", 1)
    lines[1001] = lines[1001].replace(b"Speaker", b"Spea\x00ker", 1)
    lines[1501] = lines[1501].replace(b",Speaker", b',"Speaker', 1).replace(b'"<p>', b"<p>")
    lines[1501] = lines[1501].replace(b'</script>"', b"</script>")
    lines[1600] = lines[1600].replace(b"\r", b",stray\r")
    path.write_bytes(b"\n".join(lines))
    report = run(factory, catalog, path, read_in_worker=read_in_worker)
    assert report.rows == 2000
    assert (report.created, report.skipped) == (1996, 4), report.errors
    assert sorted(e["row"] for e in report.errors) == [502, 1002, 1502, 1601]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Product)) == 1996
