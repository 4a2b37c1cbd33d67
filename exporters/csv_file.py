"""Generic CSV: the flat layout of ``exporters.flat_rows``, RFC 4180 quoting, UTF-8. A delta
says what left the channel in its ``deleted`` column."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import chain

from exporters.base import CHUNK_SIZE, FeedInfo
from exporters.flat_rows import flat_header, flat_rows
from pim.records import ChannelVariant

MEDIA_TYPE = "text/csv; charset=utf-8"


def write_rows_as_csv(rows: Iterable[list[str]], **dialect) -> Iterator[bytes]:
    """CSV bytes of ``rows`` in ~64 KB chunks, RFC 4180 quoting (the csv module's
    QUOTE_MINIMAL with CRLF line ends): a cell holding a comma, quote or line break is
    quoted, so no value can leave its cell. ``dialect`` passes csv formatting parameters
    (delimiter, quoting) through to the csv module."""
    return _csv_module_chunks(rows, dialect) if dialect else _rfc4180_chunks(rows)


def write_table_as_csv(header: Sequence[str], filled: Sequence[str],
                       rows: Iterable[list[str]]) -> Iterator[bytes]:
    """CSV of a wide table most of whose columns a writer never fills (Magento's template has
    80): the header names every column, each row lists only the cells of the ``filled``
    columns, in that order, and the other columns are written empty. Quoting as in
    ``write_rows_as_csv``; only the filled cells are looked at."""
    if not filled or [name for name in header if name in filled] != list(filled):
        raise ValueError("filled columns must be header columns, in header order")
    line_format: str | None = ",".join(["%s" if name in filled else "" for name in header])
    if list(filled) == list(header):
        line_format = None  # nothing to place: rows are whole
    return _rfc4180_chunks(rows, line_format, header=list(header))


def write_rows_as_tsv(rows: Iterable[list[str]]) -> Iterator[bytes]:
    """Tab-separated bytes of ``rows``, LF line ends, nothing quoted (quotes stay literal):
    what the csv module writes with ``delimiter="\\t", quoting=QUOTE_NONE, quotechar=None,
    lineterminator="\\n"``. Cells must hold no tab or line break; the csv module is left to
    refuse a row whose cells do (or to write cells that are not text)."""
    return _tsv_chunks(rows)


def _tsv_chunks(rows: Iterable[list[str]]) -> Iterator[bytes]:
    pieces: list[str] = []
    size = 0
    the_csv_module = _csv_module_line(delimiter="\t", quoting=csv.QUOTE_NONE, quotechar=None,
                                      lineterminator="\n")
    for row in rows:
        try:
            line = "\t".join(row)
        except TypeError:  # a cell that is not text
            line = the_csv_module(row)
        else:
            if ("\n" in line or "\r" in line or line.count("\t") >= len(row)
                    or (not line and len(row) == 1)):
                line = the_csv_module(row)  # raises csv.Error for what it cannot write
        pieces.append(line)
        size += len(line)
        if size >= CHUNK_SIZE:
            yield _encoded("\n".join(pieces) + "\n")
            pieces.clear()
            size = 0
    if pieces:
        yield _encoded("\n".join(pieces) + "\n")


def _csv_module_line(**dialect) -> Callable[[list[str]], str]:
    """One row as the csv module writes it with ``dialect``, without the line terminator."""
    buffer = io.StringIO()
    writerow = csv.writer(buffer, **dialect).writerow
    cut = -len(dialect["lineterminator"])

    def line(row: list[str]) -> str:
        writerow(row)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text[:cut]

    return line


def _rfc4180_chunks(rows: Iterable[list[str]], line_format: str | None = None,
                    header: list[str] | None = None) -> Iterator[bytes]:
    # Byte for byte what csv.writer writes, in about a third of its time: csv.writer looks
    # every character up in the line terminator, while a row here is joined once and only
    # a row with a comma, quote or line break inside a cell is looked at cell by cell.
    # ``line_format`` ("%s,,%s,..."), when given, places the cells among empty columns
    # (``header``, if any, is written whole first).
    pieces: list[str] = []
    size = 0
    if header is not None:
        yield from _rfc4180_chunks([header])
    for row in rows:
        try:
            line = ",".join(row)
        except TypeError:  # a cell that is not text: written as the csv module writes it
            row = ["" if cell is None else str(cell) for cell in row]
            line = ",".join(row)
        if "\n" in line or "\r" in line:
            quoted = [
                '"' + cell.replace('"', '""') + '"'
                if "," in cell or '"' in cell or "\n" in cell or "\r" in cell else cell
                for cell in row
            ]
        elif '"' in line:  # JSON cells, quoted words: commas and quotes to look for
            quoted = [
                '"' + cell.replace('"', '""') + '"' if "," in cell or '"' in cell else cell
                for cell in row
            ]
        elif line.count(",") >= len(row):  # more commas than separators
            quoted = [f'"{cell}"' if "," in cell else cell for cell in row]
        else:
            quoted = None
        if line_format is not None:
            line = line_format % tuple(row if quoted is None else quoted)
        elif quoted is not None:
            line = ",".join(quoted)
        elif not line and len(row) == 1:  # a lone empty cell is written "" (not a blank line)
            line = '""'
        pieces.append(line)
        size += len(line)
        if size >= CHUNK_SIZE:
            yield _encoded("\r\n".join(pieces) + "\r\n")
            pieces.clear()
            size = 0
    if pieces:
        yield _encoded("\r\n".join(pieces) + "\r\n")


def _csv_module_chunks(rows: Iterable[list[str]], dialect: dict) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, **{"lineterminator": "\r\n", **dialect})
    writerow = writer.writerow
    for row in rows:
        writerow(row)
        if buffer.tell() >= CHUNK_SIZE:
            yield _drain(buffer)
    if buffer.tell():
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return _encoded(text)


def _encoded(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in product text
        return text.encode("utf-8", "replace")


def write_csv(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    return write_rows_as_csv(chain([flat_header(feed)], flat_rows(variants, feed)))
