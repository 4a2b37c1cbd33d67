"""Cell text to each attribute type's canonical data; bad cells are row errors."""

import pytest


def value_of(read_one, write_csv, column, cell, **options):
    record, errors = read_one(write_csv(f'sku,{column}\nA1,"{cell}"\n'), **options)
    entries = record.values.get(column.split("-")[0])
    return (entries[0]["data"] if entries else None), errors


@pytest.mark.parametrize(("cell", "expected"), [
    ("12.50", "12.50"), ("7", "7"), ("-3.0", "-3.0"), ("1e3", "1000"), (" 42 ", "42")])
def test_numbers_become_decimal_strings(read_one, write_csv, cell, expected):
    assert value_of(read_one, write_csv, "stock_level", cell) == (expected, [])


@pytest.mark.parametrize(("cell", "expected"), [
    ("1", True), ("0", False), ("true", True), ("FALSE", False), ("yes", True), ("No", False)])
def test_booleans_from_words(read_one, write_csv, cell, expected):
    assert value_of(read_one, write_csv, "organic", cell) == (expected, [])


@pytest.mark.parametrize("cell", ["2024-03-01", "2024-03-01T10:00:00", "2024-03-01 00:00:00"])
def test_dates_become_iso_days(read_one, write_csv, cell):
    assert value_of(read_one, write_csv, "release_date", cell) == ("2024-03-01", [])


def test_select_takes_an_option_code(read_one, write_csv):
    assert value_of(read_one, write_csv, "color", "navy") == ("navy", [])


def test_select_accepts_an_option_label_or_other_case(read_one, write_csv):
    assert value_of(read_one, write_csv, "color", "Red")[0] == "red"
    assert value_of(read_one, write_csv, "color", "NAVY")[0] == "navy"


def test_multiselect_splits_on_commas(read_one, write_csv):
    assert value_of(read_one, write_csv, "tags", "new, sale,new") == (["new", "sale"], [])


def test_identifier_with_valid_gtin_check_digit(read_one, write_csv):
    assert value_of(read_one, write_csv, "ean", "4006381333931") == ("4006381333931", [])


def test_text_is_trimmed(read_one, write_csv):
    assert value_of(read_one, write_csv, "name", "  Shirt ") == ("Shirt", [])


def test_reference_is_another_sku(read_one, write_csv):
    assert value_of(read_one, write_csv, "replaces", "OLD-1") == ("OLD-1", [])


@pytest.mark.parametrize(("column", "cell"), [
    ("stock_level", "a lot"), ("stock_level", "NaN"), ("organic", "maybe"),
    ("release_date", "31/02/2024"), ("color", "purple"), ("tags", "new,vintage"),
    ("ean", "4006381333932")])
def test_a_bad_cell_is_a_row_error_naming_row_column_and_value(read_one, write_csv, column,
                                                               cell):
    record, errors = read_one(write_csv(f'sku,{column},name\nA1,"{cell}",kept\n'))
    assert column not in record.values
    assert record.values["name"][0]["data"] == "kept"
    assert [(e.row, e.column, e.value, e.sku, e.severity) for e in errors] == [
        (2, column, cell, "A1", "error")]


def test_other_rows_load_after_a_bad_row(write_csv, read_all):
    records, errors = read_all(write_csv("sku,stock_level\nA1,x\nA2,5\n"))
    assert [r.sku for r in records] == ["A1", "A2"] and len(errors) == 1


def test_media_url_is_passed_through(read_one, write_csv):
    url = "https://cdn.example.com/a.jpg"
    assert value_of(read_one, write_csv, "image", url) == (url, [])


def test_media_path_resolves_against_the_media_folder(read_one, write_csv, tmp_path):
    (tmp_path / "media" / "shirts").mkdir(parents=True)
    (tmp_path / "media" / "shirts" / "a.jpg").write_bytes(b"jpg")
    data, errors = value_of(read_one, write_csv, "image", "shirts/a.jpg",
                            media_root=tmp_path / "media")
    assert (data, errors) == ("shirts/a.jpg", [])


def test_missing_media_file_is_a_warning_and_the_value_is_left_out(read_one, write_csv, tmp_path):
    data, errors = value_of(read_one, write_csv, "image", "gone.jpg", media_root=tmp_path)
    assert data is None
    assert [(e.column, e.severity) for e in errors] == [("image", "warning")]


def test_media_path_may_not_leave_the_media_folder(read_one, write_csv, tmp_path):
    data, errors = value_of(read_one, write_csv, "image", "../../etc/passwd", media_root=tmp_path)
    assert data is None and errors[0].severity == "error"
