"""XLSX: sheets, header detection, cached formula values, dates, merged cells, bad files."""

import datetime as dt
import zipfile

import openpyxl
import pytest

from importers import (
    EncryptedWorkbookError,
    ImportFileError,
    MappingProfile,
    UnsafeFileError,
    open_source,
)
from importers.xlsx_file import XlsxRows


def save_workbook(path, sheets: dict[str, list[list]], merged: dict[str, list[str]] = None):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell_range in (merged or {}).get(name, []):
            sheet.merge_cells(cell_range)
    workbook.save(path)
    return path


def test_products_are_read_from_the_first_sheet(tmp_path, read_one):
    path = save_workbook(tmp_path / "p.xlsx", {"Products": [["sku", "name"], ["A1", "Shirt"]]})
    record, errors = read_one(path)
    assert (record.sku, record.values["name"][0]["data"], errors) == ("A1", "Shirt", [])


def test_sheet_is_chosen_by_name_from_the_profile(tmp_path, read_one):
    path = save_workbook(tmp_path / "p.xlsx", {
        "Notes": [["nothing here"]], "Data": [["sku", "name"], ["A1", "Shirt"]]})
    record, _ = read_one(path, profile=MappingProfile(sheet="data"))
    assert record.sku == "A1"


def test_unknown_sheet_is_a_clear_error_listing_the_sheets(tmp_path, context):
    path = save_workbook(tmp_path / "p.xlsx", {"Data": [["sku"], ["A1"]]})
    with pytest.raises(ImportFileError, match="'Data'"):
        open_source(path, context=context, profile=MappingProfile(sheet="Prices"))


def test_header_is_found_below_merged_title_rows(tmp_path, read_one):
    path = save_workbook(tmp_path / "p.xlsx", {"S": [
        ["Spring catalogue", None, None], [], ["sku", "name", "family"],
        ["A1", "Shirt", "shirts"]]}, merged={"S": ["A1:C1"]})
    record, errors = read_one(path)
    assert (record.sku, record.family, record.row, errors) == ("A1", "shirts", 4, [])


def test_header_row_from_the_profile(tmp_path, read_one):
    path = save_workbook(tmp_path / "p.xlsx", {"S": [["x", "y"], ["sku", "name"], ["A1", "n"]]})
    record, _ = read_one(path, profile=MappingProfile(header_row=2))
    assert record.sku == "A1"


def test_numbers_and_dates_in_cells_are_typed(tmp_path, read_one):
    path = save_workbook(tmp_path / "p.xlsx", {"S": [
        ["sku", "stock_level", "release_date", "organic", "ean"],
        [1001, 12.5, dt.date(2024, 3, 1), True, 4006381333931]]})
    record, errors = read_one(path)
    assert errors == [] and record.sku == "1001"
    assert {k: v[0]["data"] for k, v in record.values.items()} == {
        "stock_level": "12.5", "release_date": "2024-03-01", "organic": True,
        "ean": "4006381333931"}


def test_merged_cells_give_their_value_to_every_cell_of_the_range(tmp_path, read_all):
    path = save_workbook(tmp_path / "p.xlsx", {"S": [
        ["sku", "family"], ["A1", "shirts"], ["A2", None]]}, merged={"S": ["B2:B3"]})
    records, _ = read_all(path)
    assert [r.family for r in records] == ["shirts", "shirts"]


def with_cached_formula(path):
    """openpyxl writes formulas without results; add one as Excel would have saved it."""
    save_workbook(path, {"S": [["sku", "stock_level"], ["A1", "=2*3"]]})
    patched = path.with_name("cached.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>2*3</f><v></v>", b"<f>2*3</f><v>6</v>")
                data = data.replace(b"<f>2*3</f><v/>", b"<f>2*3</f><v>6</v>")
                assert b"<v>6</v>" in data
            target.writestr(item, data)
    return patched


def test_formulas_give_their_cached_values(tmp_path, read_one):
    record, _ = read_one(with_cached_formula(tmp_path / "p.xlsx"))
    assert record.values["stock_level"][0]["data"] == "6"


@pytest.mark.parametrize("reader", ["calamine", "openpyxl"])
def test_both_readers_give_the_same_rows(tmp_path, reader):
    path = save_workbook(tmp_path / "p.xlsx", {"S": [
        ["Title", None], [], ["sku", "n"], ["A1", 2.5], ["A2", dt.datetime(2024, 1, 2, 0, 0)]]},
        merged={"S": ["A1:B1"]})
    rows = list(XlsxRows(path, reader=reader))
    assert rows == [(1, ["Title", "Title"]), (2, ["", ""]), (3, ["sku", "n"]),
                    (4, ["A1", "2.5"]), (5, ["A2", "2024-01-02"])]


def test_formula_cached_values_through_the_streaming_reader(tmp_path):
    rows = list(XlsxRows(with_cached_formula(tmp_path / "p.xlsx"), reader="openpyxl"))
    assert rows[1] == (2, ["A1", "6"])


def test_total_rows_is_known_for_workbooks(tmp_path, context):
    path = save_workbook(tmp_path / "p.xlsx", {"S": [["sku"], ["A1"], ["A2"]]})
    assert open_source(path, context=context).total_rows == 2


def test_corrupt_workbook_is_a_clear_error(tmp_path, context):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(ImportFileError, match="corrupt"):
        open_source(path, context=context)


def test_xlsx_extension_on_text_is_a_clear_error(tmp_path, context):
    path = tmp_path / "fake.xlsx"
    path.write_text("sku\nA1\n")
    with pytest.raises(ImportFileError, match="not a workbook"):
        open_source(path, context=context)


def test_password_protected_workbook_is_a_clear_error(tmp_path, context):
    # Excel saves an encrypted workbook as an OLE2 compound file with an EncryptedPackage.
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
                     + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 512)
    with pytest.raises(EncryptedWorkbookError, match="password-protected"):
        open_source(path, context=context)


def test_legacy_xls_is_a_clear_error(tmp_path, context):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    with pytest.raises(ImportFileError, match="xls"):
        open_source(path, context=context)


def test_zip_bomb_disguised_as_xlsx_is_refused_before_parsing(tmp_path, context):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    with pytest.raises(UnsafeFileError, match="zip bomb"):
        open_source(path, context=context)


def test_a_workbook_inflating_beyond_the_given_limit_is_refused(tmp_path, context):
    """The limit is the caller's (the hub passes PIM_XLSX_MAX_UNCOMPRESSED_BYTES): parts that
    compress no better than real sheets still add up to it."""
    path = tmp_path / "big.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 20_000)
    with pytest.raises(UnsafeFileError, match="above the limit of 100,000"):
        open_source(path, context=context, max_uncompressed_bytes=100_000)


def test_zip_without_a_workbook_is_a_clear_error(tmp_path, context):
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportFileError, match="not an Excel workbook"):
        open_source(path, context=context)
