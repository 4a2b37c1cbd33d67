"""CSV: encodings, delimiters, quoting, ragged rows and empty files."""

import pytest

from importers import EmptyFileError, ImportFileError, UnsupportedFileError, open_source

HEADER_AND_ROW = "sku,name\nA1,Café crème\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_text_encoding_is_detected(write_csv, read_one, encoding):
    record, errors = read_one(write_csv(HEADER_AND_ROW, encoding=encoding))
    assert errors == []
    assert record.values["name"][0]["data"] == "Café crème"


def test_encoding_from_profile_wins_over_detection(write_csv, read_one):
    from importers import MappingProfile

    path = write_csv("sku,name\nA1,\u00e9t\u00e9\n", encoding="latin-1")
    record, _ = read_one(path, profile=MappingProfile(encoding="latin-1"))
    assert record.values["name"][0]["data"] == "été"


def test_undecodable_text_is_a_clear_error(write_csv, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"sku,name\nA1,\x81\x8d\x8f\x90\x9d\n")
    with pytest.raises(UnsupportedFileError, match="encoding"):
        open_source(path, context=None, channels=set())


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_detected(write_csv, read_one, delimiter):
    path = write_csv(f"sku{delimiter}name{delimiter}family\nA1{delimiter}Shirt{delimiter}shirts\n")
    record, errors = read_one(path)
    assert (record.sku, record.family) == ("A1", "shirts")
    assert record.values["name"][0]["data"] == "Shirt"


def test_quoted_cells_may_span_lines_and_hold_delimiters(write_csv, read_all):
    path = write_csv('sku,name\nA1,"Line one\nline two, with comma"\nA2,Plain\n')
    records, errors = read_all(path)
    assert errors == []
    assert records[0].values["name"][0]["data"] == "Line one\nline two, with comma"
    assert [r.row for r in records] == [2, 3]


def test_ragged_row_is_reported_with_its_row_and_the_others_still_load(write_csv, read_all):
    records, errors = read_all(write_csv("sku,name\nA1,One\nA2,Two,extra\nA3\nA4,Four\n"))
    assert [r.sku for r in records] == ["A1", "A4"]
    assert [(e.row, e.severity) for e in errors] == [(3, "error"), (4, "error")]
    assert "2 cells" in errors[1].message or "1 cells" in errors[1].message


def test_blank_lines_are_skipped(write_csv, read_all):
    records, errors = read_all(write_csv("sku,name\n\nA1,One\n\n"))
    assert [r.sku for r in records] == ["A1"] and errors == []


def test_empty_file_is_a_clear_error(write_csv, context):
    with pytest.raises(EmptyFileError, match="empty"):
        open_source(write_csv(""), context=context, channels=set())


def test_whitespace_only_file_is_an_empty_file(write_csv, context):
    with pytest.raises(EmptyFileError):
        open_source(write_csv("\n\n  \n"), context=context, channels=set())


def test_header_only_file_yields_nothing(write_csv, read_all):
    assert read_all(write_csv("sku,name\n")) == ([], [])


def test_missing_file_is_a_clear_error(tmp_path, context):
    with pytest.raises(ImportFileError, match="no such file"):
        open_source(tmp_path / "nope.csv", context=context, channels=set())


def test_records_is_a_lazy_iterator(write_csv, context):
    source = open_source(write_csv(HEADER_AND_ROW), context=context, channels=set())
    records = source.records()
    assert iter(records) is records
    assert source.format == "csv" and source.kind == "product" and source.total_rows is None


def test_a_second_records_call_reads_the_file_again(write_csv, context):
    source = open_source(write_csv(HEADER_AND_ROW), context=context, channels=set())
    assert len(list(source.records())) == len(list(source.records())) == 1


def test_title_rows_above_the_header_are_skipped(write_csv, read_one):
    record, errors = read_one(write_csv("Supplier price list 2024\n\nsku,name\nA1,One\n"))
    assert record.sku == "A1" and record.row == 4


def test_a_file_error_survives_pickling_with_its_class_message_and_path():
    import pickle

    error = EmptyFileError("the file is empty", path="/in/a.csv")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), str(copy), copy.path) == (EmptyFileError, str(error), "/in/a.csv")
