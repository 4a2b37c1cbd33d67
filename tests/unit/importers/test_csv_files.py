"""CSV: encodings, delimiters, quoting, ragged rows and empty files."""

import pytest

from importers import EmptyFileError, ImportFileError, open_source

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


POLISH = ("sku;name-pl_PL;description-pl_PL\n"
          "PL-1;Żółta łódź;Wysokiej jakości łódź z drewna, idealna na jezioro.\n"
          "PL-2;Koszula męska;Bawełniana koszula, łatwa w prasowaniu i wygodna.\n"
          "PL-3;Źródło światła;Żarówka LED o niskim zużyciu energii.\n")


def test_a_polish_windows_1250_file_reads_right(write_csv, read_all):
    records, errors = read_all(write_csv(POLISH.replace("name-pl_PL", "name").replace(
        "description-pl_PL", "title-en_US"), encoding="cp1250"))
    assert errors == []
    assert [r.values["name"][0]["data"] for r in records] == [
        "Żółta łódź", "Koszula męska", "Źródło światła"]


@pytest.mark.parametrize(("text", "encoding"), [
    (POLISH, "cp1250"),
    ("sku;name\n" + "".join(f"CZ-{i};Příliš žluťoučký kůň úpěl ďábelské ódy\n" for i in range(3)),
     "cp1250"),
    ("sku;name\n" + "".join(f"DE-{i};Größe Straße Übergröße für Männer\n" for i in range(8)),
     "cp1252"),
    ("sku;name\nES-1;Camión pequeño, diseño español, año 2024\n", "cp1252"),
])
def test_single_byte_encodings_are_told_apart_by_charset_normalizer(text, encoding):
    from importers.sniff import sniff_encoding

    guess = sniff_encoding(text.encode(encoding))
    assert (guess.encoding, guess.found_by) == (encoding, "detected")
    assert 0 < guess.confidence <= 1


def test_a_bom_or_utf_8_decides_with_full_confidence():
    from importers.sniff import sniff_encoding

    assert sniff_encoding("\ufeffsku\n".encode("utf-8")).as_dict() == {
        "encoding": "utf-8-sig", "found_by": "bom", "confidence": 1.0}
    assert sniff_encoding("sku\nŻółta\n".encode()).found_by == "utf-8"


def test_a_guess_between_equally_plausible_readings_has_low_confidence(write_csv, tmp_path):
    from importers.sniff import sniff_encoding

    # Bytes every candidate reads as some letters: nothing tells them apart.
    guess = sniff_encoding(b"sku,name\nA1,\x81\x8d\x8f\x90\x9d\n")
    assert guess.found_by == "detected" and guess.confidence < 0.5


def test_the_source_names_how_it_found_the_encoding(write_csv):
    from importers import MappingProfile

    path = write_csv(POLISH, encoding="cp1250")
    assert open_source(path, context=None, channels=set()).encoding.found_by == "detected"
    named = open_source(path, context=None, channels=set(),
                        profile=MappingProfile(encoding="cp1250"))
    assert named.encoding.as_dict() == {"encoding": "cp1250", "found_by": "profile",
                                        "confidence": 1.0}


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


def test_a_csv_estimates_its_rows_from_its_size_for_progress(write_csv):
    small = open_source(write_csv("sku,name\nA1,One\nA2,Two\n"), context=None, channels=set())
    assert small.estimated_rows == 2  # held whole by the sample: counted
    rows = "".join(f"SKU-{n:06d},Product {n} with a name of some length\n"
                   for n in range(20_000))
    big = open_source(write_csv("sku,name\n" + rows), context=None, channels=set())
    assert big.total_rows is None  # not counted without reading the file
    assert 19_000 <= big.estimated_rows <= 21_000


def rows_of(n: int, start: int = 1) -> str:
    return "".join(f"S-{i},name {i}\n" for i in range(start, start + n))


def test_an_unclosed_quote_is_refused_where_it_opened_and_the_rest_still_loads(
        write_csv, read_all):
    # Row 6 (line 6) opens a quote nothing closes: it would swallow the file's end.
    text = "sku,name\n" + rows_of(4) + 'S-5,"Lamp 40 inch\n' + rows_of(20, start=6)
    records, errors = read_all(write_csv(text))
    assert [r.sku for r in records] == [f"S-{i}" for i in range(1, 5)] + [
        f"S-{i}" for i in range(6, 26)]
    [error] = errors
    assert error.row == 6
    assert "quoted cell opened in row 6 (line 6) is not closed" in error.message
    assert "ran over 21 lines" in error.message


def test_a_quote_closed_rows_later_is_refused_and_the_rows_it_swallowed_load(
        write_csv, read_all):
    # The stray quote of row 3 closes at the quoted cell of row 5: one record, wrong width.
    text = ('sku,name\nS-1,one\nS-2,"two\nS-3,three\nS-4,"four, quoted"\nS-5,five\n')
    records, errors = read_all(write_csv(text))
    assert [r.sku for r in records] == ["S-1", "S-3", "S-4", "S-5"]
    assert [e.row for e in errors] == [3]
    assert records[2].values["name"][0]["data"] == "four, quoted"


def test_a_long_quoted_cell_over_several_lines_still_loads(write_csv, read_all):
    text = 'sku,name\nS-1,"' + "line\n" * 50 + 'end"\nS-2,two\n'
    records, errors = read_all(write_csv(text))
    assert errors == [] and [r.sku for r in records] == ["S-1", "S-2"]


def test_a_nul_byte_is_a_row_error_with_its_row_and_the_rest_loads(write_csv, read_all):
    # Past the sample read to sniff the file (a NUL there says: a binary file).
    text = "sku,name\n" + rows_of(9_000) + "S-9001,bad\x00name\n" + rows_of(3, start=9_002)
    records, errors = read_all(write_csv(text))
    assert len(records) == 9_003 and not any(r.sku == "S-9001" for r in records)
    [error] = errors
    assert error.row == 9_002 and "NUL byte" in error.message and "line 9002" in error.message


def test_invalid_utf8_is_a_row_error_with_the_right_row_far_into_the_file(
        write_csv, read_all, tmp_path):
    # Far past the decoder's read-ahead: the row is the one holding the bad bytes.
    head = ("sku,name\n" + rows_of(10_000)).encode()
    path = tmp_path / "products.csv"
    path.write_bytes(head + b"S-10001,caf\xe9\n" + rows_of(5, start=10_002).encode())
    records, errors = read_all(path)
    assert len(records) == 10_005 and not any(r.sku == "S-10001" for r in records)
    [error] = errors
    assert error.row == 10_002 and "line 10002 is not valid utf-8" in error.message


def test_lines_ended_by_a_carriage_return_alone_still_read(write_csv, read_all):
    records, errors = read_all(write_csv("sku,name\rS-1,one\rS-2,two\r"))
    assert errors == [] and [r.sku for r in records] == ["S-1", "S-2"]
