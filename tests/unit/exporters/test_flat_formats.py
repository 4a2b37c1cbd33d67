"""NDJSON, CSV and XLSX: every variant on its own line or row, spreadsheet-safe."""

from __future__ import annotations

import csv
import io
import json

import openpyxl

from exporters.flat_rows import FIXED_COLUMNS
from tests.unit.exporters.variants import (
    FORBIDDEN_IN_XML,
    HOSTILE_TEXT,
    export,
    make_feed,
    make_variant,
    model_variants,
)

FORMULAS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "'=already"]


def csv_rows(variants, feed=None) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export("csv", variants, feed).decode("utf-8"))))


def xlsx_rows(variants, feed=None) -> list[dict]:
    workbook = openpyxl.load_workbook(io.BytesIO(export("xlsx", variants, feed)), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:]]


def ndjson_lines(variants, feed=None) -> list[dict]:
    return [json.loads(line) for line in export("ndjson", variants, feed).splitlines()]


def test_ndjson_writes_one_object_per_variant():
    lines = ndjson_lines(model_variants("SHIRT"))
    assert [line["sku"] for line in lines] == [v.sku for v in model_variants("SHIRT")]
    assert lines[0]["price"] == {"amount": "25.00", "currency": "GBP"}
    assert lines[0]["axes"] == {"colour": "Red", "size": "S"}


def test_ndjson_delta_starts_with_deleted_lines():
    feed = make_feed(delta=True, withdrawn=["GONE"])
    lines = ndjson_lines([make_variant("KEPT")], feed)
    assert lines[0] == {"sku": "GONE", "deleted": True}
    assert lines[1]["sku"] == "KEPT"


def test_ndjson_full_feed_ignores_withdrawn():
    lines = ndjson_lines([make_variant("KEPT")], make_feed(withdrawn=["GONE"]))
    assert [line["sku"] for line in lines] == ["KEPT"]


def test_ndjson_survives_newlines_and_lone_surrogates():
    lines = ndjson_lines([make_variant(title="a\nb\ud800c"), make_variant("B")])
    assert [line["title"] for line in lines] == ["a\nbc", "Shirt B"]


def test_csv_has_fixed_columns_then_attribute_columns():
    feed = make_feed(attribute_codes=("colour", "material"))
    (row,) = csv_rows([make_variant(axes={"colour": "Red", "size": "M"},
                                    attributes={"material": "Cotton"})], feed)
    assert list(row)[: len(FIXED_COLUMNS)] == list(FIXED_COLUMNS)
    assert (row["colour"], row["material"]) == ("Red", "Cotton")
    assert json.loads(row["attributes"]) == {"size": "M"}


def test_csv_cells_keep_quotes_commas_and_newlines_inside():
    rows = csv_rows([make_variant("A", description=HOSTILE_TEXT), make_variant("B")])
    assert [row["sku"] for row in rows] == ["A", "B"]
    assert rows[0]["description"] == "'" + HOSTILE_TEXT


def test_csv_neutralises_formulas_in_product_text():
    rows = csv_rows([make_variant(f"S{n}", title=formula, brand=formula)
                     for n, formula in enumerate(FORMULAS)])
    assert [row["title"] for row in rows] == ["'" + formula for formula in FORMULAS]
    assert rows[0]["brand"] == "'=1+1"


def test_csv_leaves_numbers_the_writer_formats_alone():
    (row,) = csv_rows([make_variant(price={"amount": "-5.00", "currency": "GBP"},
                                    sale_price={"amount": "=1+1", "currency": "GBP"})])
    assert row["price"] == "-5.00"
    assert row["sale_price"] == "'=1+1"  # not a number: product text, neutralised


def test_csv_tier_prices_images_and_categories():
    (row,) = csv_rows([make_variant("T", categories=["A > B", "C"], tier_prices=[
        {"min_quantity": 10, "amount": "9.00", "currency": "GBP"}])])
    assert row["image_link"] == "https://media.example/T/1.jpg"
    assert row["additional_image_links"] == (
        "https://media.example/T/2.jpg|https://media.example/T/3.jpg")
    assert row["categories"] == "A > B|C"
    assert row["tier_prices"] == "10:9.00"


def test_xlsx_reads_back_with_typed_numbers():
    (row,) = xlsx_rows([make_variant("X-1")])
    assert row["sku"] == "X-1"
    assert float(row["price"]) == 25.0
    assert row["quantity"] == 7
    assert row["title"] == "Shirt X-1"


def test_xlsx_keeps_formula_like_text_as_text_cells_without_a_quote():
    # A string cell's type makes it text (issue #18 item 8): no visible apostrophe.
    rows = xlsx_rows([make_variant(f"S{n}", title=formula) for n, formula in enumerate(FORMULAS)])
    assert [row["title"] for row in rows] == list(FORMULAS)
    workbook = openpyxl.load_workbook(io.BytesIO(export("xlsx", [make_variant(title="=1+1")])))
    assert all(cell.data_type != "f" for row in workbook.active.iter_rows() for cell in row)


def test_xlsx_drops_characters_a_sheet_cannot_hold_and_clips_huge_cells():
    (row,) = xlsx_rows([make_variant(title=FORBIDDEN_IN_XML, description="x" * 1_000_000)])
    assert row["title"] == "abcdef"
    assert len(row["description"]) == 32767


def test_xlsx_leaves_a_cell_of_only_forbidden_characters_empty():
    (row,) = xlsx_rows([make_variant(title="\x1f\x00", brand="Acme")])
    assert (row["title"], row["brand"]) == (None, "Acme")


def test_xlsx_keeps_surrounding_whitespace_and_line_breaks():
    (row,) = xlsx_rows([make_variant(title="  two spaces\r\nand a line  ")])
    assert row["title"] == "  two spaces\r\nand a line  "
