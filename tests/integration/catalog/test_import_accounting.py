"""Every data row of an import file is accounted for: the reader counts the rows it reads,
and an import whose summary (created + updated + unchanged + refused + skipped) says
otherwise fails, naming both counts, instead of passing for complete."""

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from importers import open_source
from importers.product_rows import ProductRowReader
from pim.catalog.import_worker import WorkerRecords
from pim.catalog.importing import ImportRowsLost, apply_import
from pim.catalog.models import Attribute, Product
from pim.cli import main
from pim.records import ProductRecord
from tests.integration.catalog.test_import_worker import HEADER, messy_rows, row, write_csv


def opened(catalog, path):
    context, channels = catalog
    return open_source(path, context=context, channels=channels)


def run(factory, records, **kw):
    return apply_import(factory, records, source="import:test", actor="importer", **kw)


def products(factory) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(Product))


def messy_csv(path, prefix="A"):
    """40 messy rows (every kind of row problem), a blank line among them, a line of empty
    cells and a blank line at the end: 40 data rows."""
    path = write_csv(path, messy_rows(prefix))
    lines = path.read_bytes().split(b"\r\n")
    lines.insert(9, b"")
    lines.insert(20, b"," * (len(HEADER) - 1))
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    return path


@pytest.mark.parametrize("read_in_worker", [True, False])
def test_the_summary_accounts_for_every_data_row_the_reader_counted(
        factory, catalog, tmp_path, read_in_worker):
    source = opened(catalog, messy_csv(tmp_path / "messy.csv"))

    report = run(factory, source.records(), read_in_worker=read_in_worker, batch_size=8)

    assert report.rows == report.accounted_rows() == 40
    assert report.refused + report.skipped >= 9 and report.created >= 20


def test_the_worker_reports_the_data_rows_its_reader_counted(catalog, tmp_path):
    source = opened(catalog, messy_csv(tmp_path / "messy.csv"))

    with WorkerRecords(source.reopen_args()) as worker:
        assert worker.data_rows is None
        items = list(worker)
        assert worker.data_rows == 40
    assert sum(1 for item in items if getattr(item, "record", item).__class__
               is ProductRecord) >= 30


def test_a_workbook_counts_its_data_rows_without_the_blank_ones(factory, catalog, tmp_path):
    path = tmp_path / "products.xlsx"
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for i in range(12):
        sheet.append(row(f"X-{i}"))
        if i % 4 == 0:
            sheet.append([None] * len(HEADER))
    sheet.append(row("X-3"))  # a duplicate: skipped, still a data row
    book.save(path)
    source = opened(catalog, path)

    report = run(factory, source.records(), read_in_worker=False)

    assert source.data_rows == report.rows == report.accounted_rows() == 13
    assert (report.created, report.skipped) == (12, 1)


class LosingOneRecord:
    """The records of a source, but for one product record lost on the way: the defect the
    count is there to catch."""

    def __init__(self, records, lose_row: int):
        self.source = records.source
        self._records = records
        self._lose_row = lose_row

    def __iter__(self):
        for item in self._records:
            if isinstance(item, ProductRecord) and item.row == self._lose_row:
                continue
            yield item


def test_a_row_lost_between_the_reader_and_the_catalog_fails_the_import_naming_both_counts(
        factory, catalog, tmp_path):
    path = write_csv(tmp_path / "products.csv", [row(f"L-{i}") for i in range(30)])
    records = LosingOneRecord(opened(catalog, path).records(), lose_row=12)

    with pytest.raises(ImportRowsLost) as raised:
        run(factory, records, batch_size=10)

    assert "30 data rows were read from the file but the import accounted for 29" in str(
        raised.value)
    assert raised.value.report.created == 29 and products(factory) == 29


def test_a_lost_row_fails_the_import_job_with_both_counts(db, demo_structure, tmp_path,
                                                          monkeypatch):
    reading = ProductRowReader.records

    def losing_row_3(self, rows, **kw):  # a reader defect: row 3 read, never yielded
        return (item for item in reading(self, rows, **kw) if item.row != 3)

    monkeypatch.setattr(ProductRowReader, "records", losing_row_3)
    path = write_csv(tmp_path / "products.csv", [row(f"J-{i}") for i in range(5)])

    result = CliRunner().invoke(main, ["import", str(path)])

    assert result.exit_code == 1, result.output
    assert "5 data rows were read from the file but the import accounted for 4" in \
        result.output
    assert "succeeded" not in result.output


def test_a_structure_row_with_an_unreadable_cell_is_refused_whole_and_counted_once(
        factory, catalog, tmp_path):
    path = tmp_path / "attributes.csv"
    path.write_text("code,type,localizable\ncoil_rating,text,perhaps\nlot,text,0\n",
                    encoding="utf-8")
    source = opened(catalog, path)

    report = run(factory, source.records())

    assert source.data_rows == report.rows == report.accounted_rows() == 2
    assert (report.refused, report.structure_changed) == (1, 1)
    assert report.errors[0]["row"] == 2
    with factory() as s:
        assert set(s.scalars(select(Attribute.code).where(
            Attribute.code.in_(["coil_rating", "lot"])))) == {"lot"}
