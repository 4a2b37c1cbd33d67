"""The CSV writer every CSV feed shares: exactly what the csv module writes, chunk by chunk."""

from __future__ import annotations

import csv
import io
from itertools import product

import pytest

from exporters.base import CHUNK_SIZE
from exporters.csv_file import write_rows_as_csv, write_rows_as_tsv, write_table_as_csv

TRICKY_CELLS = ["", "plain", "a,b", 'say "hi"', "two\nlines", "cr\ronly", "crlf\r\n", " pad ",
                "tab\there", "'=1", "日本語", "lone \ud800 surrogate", "nul\x00"]


def csv_module_bytes(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue().encode("utf-8", "replace")


def written(rows) -> bytes:
    return b"".join(write_rows_as_csv(iter(rows)))


def test_every_pair_of_tricky_cells_is_written_as_the_csv_module_writes_it():
    rows = [list(pair) for pair in product(TRICKY_CELLS, repeat=2)]
    assert written(rows) == csv_module_bytes(rows)


@pytest.mark.parametrize("row", [[], [""], ["", ""], [None], ["a", None, 3, 1.5, True]])
def test_empty_rows_and_cells_that_are_not_text_are_written_as_the_csv_module_writes_them(row):
    assert written([row, ["next"]]) == csv_module_bytes([row, ["next"]])


def test_cells_read_back_unchanged():
    rows = [TRICKY_CELLS[:-2], list(reversed(TRICKY_CELLS[:-2]))]
    assert list(csv.reader(io.StringIO(written(rows).decode("utf-8"), newline=""))) == rows


def test_rows_are_streamed_in_bounded_chunks():
    rows = ([f"row {n}", "x" * 100, "a,b"] for n in range(5_000))
    chunks = list(write_rows_as_csv(rows))
    assert len(chunks) > 1
    assert all(len(chunk) < 2 * CHUNK_SIZE for chunk in chunks)


def test_a_table_row_lists_only_its_filled_cells_and_the_other_columns_are_written_empty():
    header = ["a", "b", "c", "d", "e"]
    rows = [[x, y] for x, y in product(TRICKY_CELLS, repeat=2)]
    table = b"".join(write_table_as_csv(header, ["b", "d"], iter(rows)))
    assert table == csv_module_bytes([header] + [["", x, "", y, ""] for x, y in rows])


def test_table_filled_columns_must_be_header_columns_in_header_order():
    with pytest.raises(ValueError):
        write_table_as_csv(["a", "b"], ["b", "a"], [])
    with pytest.raises(ValueError):
        write_table_as_csv(["a", "b"], ["c"], [])


TSV_DIALECT = {"delimiter": "\t", "quoting": csv.QUOTE_NONE, "quotechar": None,
               "lineterminator": "\n"}


def test_tsv_rows_are_written_as_the_csv_module_writes_them_with_nothing_quoted():
    cells = ["", "plain", "a,b", 'say "hi"', " pad ", "'=1", "日本語", None, 3, 1.5]
    rows = [list(pair) for pair in product(cells, repeat=2)] + [["one"], []]
    buffer = io.StringIO()
    writer = csv.writer(buffer, **TSV_DIALECT)
    for row in rows:
        writer.writerow(row)
    assert b"".join(write_rows_as_tsv(iter(rows))) == buffer.getvalue().encode("utf-8")


@pytest.mark.parametrize("row", [["a\tb", "c"], ["a\nb", "c"], [""]])
def test_tsv_refuses_a_row_the_csv_module_cannot_write_unquoted(row):
    with pytest.raises(csv.Error):
        b"".join(write_rows_as_tsv([["header", "row"], row]))
