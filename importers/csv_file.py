"""Delimited text files, streamed one record at a time."""

from __future__ import annotations

import codecs
import contextlib
import csv
import shutil
import tempfile
from collections.abc import Iterator
from itertools import count
from os import PathLike
from pathlib import Path
from typing import IO

from importers.errors import EmptyFileError, ImportFileError
from importers.sniff import SAMPLE_BYTES, EncodingGuess, detect_delimiter, sniff_encoding

# Rich-text descriptions exceed the csv module's default 128 KiB field limit.
MAX_FIELD_BYTES = 16 * 1024 * 1024
if csv.field_size_limit() < MAX_FIELD_BYTES:
    csv.field_size_limit(MAX_FIELD_BYTES)


# Physical lines one record may span: a quoted cell's line breaks (a long rich-text
# description stays well below). A record running longer is a quote left open.
MAX_RECORD_LINES = 1000


class BrokenRow(list):
    """The cells of a row that could not be read right, and why (``message``): the row is
    refused with that message and the rest of the file is read on."""

    def __init__(self, cells: list[str], message: str):
        super().__init__(cells)
        self.message = message


class _Lines:
    """The file's physical lines, decoded one at a time, for ``csv.reader``.

    Numbers each line, keeps the lines of the record being read (``record``), notes lines
    that cannot be stored (``problems``: text that does not decode, replaced so the row can
    still be parsed and reported; a NUL byte, which PostgreSQL refuses), and hands out lines
    pushed back (``replay``, last first) before reading on."""

    def __init__(self, fh: IO[bytes], encoding: str):
        self.fh = fh
        self.encoding = encoding
        self.read = 0
        self.record: list[tuple[int, str]] = []
        self.problems: dict[int, str] = {}
        self.replay: list[tuple[int, str]] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self.replay:
            number, text = self.replay.pop()
        else:
            raw = self.fh.readline()
            if not raw:
                raise StopIteration
            self.read += 1
            number = self.read
            try:
                text = raw.decode(self.encoding)
            except UnicodeDecodeError as error:
                text = raw.decode(self.encoding, errors="replace")
                self.problems[number] = (
                    f"is not valid {self.encoding} text ({error.reason} at byte "
                    f"{error.start + 1}); save the file as UTF-8 or name its encoding in the "
                    "mapping profile")
            if "\x00" in text:
                self.problems[number] = "holds a NUL byte (a binary file pasted into a cell?)"
        self.record.append((number, text))
        return text


def _splits_on_newline_bytes(encoding: str) -> bool:
    """Whether every line break of ``encoding`` text is the byte 0x0A (ASCII-compatible
    encodings: UTF-8, the code pages), so the file can be split into lines undecoded."""
    name = codecs.lookup(encoding).name
    return not name.startswith(("utf-16", "utf-32")) and "\n".encode(encoding) == b"\n"


class CsvRows:
    """The rows of a delimited file as ``(row_number, cells)``, row 1 being the first record.

    A record spanning several lines (a quoted multi-line cell) counts as one row, as it does
    when the file is opened in a spreadsheet. A row that cannot be read right comes as a
    ``BrokenRow`` saying why, and the rest of the file is read on: a quote left open (the
    row where it opened is refused and the lines it swallowed are read again as rows), a
    line that is not text in the file's encoding, a NUL byte.
    """

    def __init__(self, path: Path, *, encoding: str | None = None, delimiter: str | None = None):
        self.path = path
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
        if not sample.strip():
            raise EmptyFileError("the file is empty", path=str(path))
        try:
            # A profile's encoding is taken as it is: the person knows the file.
            self.encoding_guess = (EncodingGuess(encoding, "profile") if encoding
                                   else sniff_encoding(sample))
        except ImportFileError as error:
            error.args = (f"{path}: {error.args[0]}",)
            raise
        self.encoding = self.encoding_guess.encoding
        if delimiter:
            self.delimiter = delimiter
        else:
            text = sample.decode(self.encoding, errors="replace").lstrip("\ufeff")
            self.delimiter = detect_delimiter(text.split("\n", 1)[0], path.suffix.lower())
        self.total_rows: int | None = None
        # Lines ended by a carriage return alone ("CSV (Macintosh)"): read as decoded text.
        self.old_mac_lines = b"\r" in sample and b"\n" not in sample
        # The header's width once the header is found (ImportSource sets it): a record over
        # several lines with another width ran away with a quote.
        self.width: int | None = None
        self.estimated_rows = _estimated_rows(path.stat().st_size, sample)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if self.old_mac_lines or not _splits_on_newline_bytes(self.encoding):
            yield from self._decoded_records()
            return
        numbers = count(1)
        with open(self.path, "rb") as fh:
            lines = _Lines(fh, self.encoding)
            reader = csv.reader(lines, delimiter=self.delimiter)
            try:
                for number, cells in zip(numbers, reader, strict=False):
                    record, lines.record = lines.record, []
                    if len(record) == 1 and not lines.problems:
                        yield number, cells  # the common row: one clean physical line
                        continue
                    yield number, self._checked(number, cells, record, lines)
            except csv.Error as error:
                self._raise_unreadable(error, next(numbers) - 1)

    def _checked(self, number: int, cells: list[str], record: list[tuple[int, str]],
                 lines: _Lines) -> list[str]:
        """``cells``, or a ``BrokenRow`` when the record ran away with a quote (its lines
        after the first are then read again as rows) or holds a line that cannot be
        stored (undecodable text, a NUL byte)."""
        first = record[0][0]
        if len(record) > 1 and self._ran_away(cells, record):
            lines.replay.extend(reversed(record[1:]))
            for line, _ in record[1:]:
                lines.problems.pop(line, None)  # reported with the row they are read in
            return BrokenRow(cells, (
                f"a quoted cell opened in row {number} (line {first}) is not closed: it ran "
                f"over {len(record)} lines; the row is skipped and the lines after it are "
                "read as rows again (check this row for a stray quote)"))
        for line, _ in record:
            problem = lines.problems.pop(line, None)
            if problem is not None:
                return BrokenRow(cells, f"line {line} {problem}; the row is skipped")
        return cells

    def _ran_away(self, cells: list[str], record: list[tuple[int, str]]) -> bool:
        """Whether a record spanning several lines is a quote left open: too many lines,
        its quotes unbalanced (it was closed by the end of the file), or a width other than
        the header's (closed by a quote in a later row)."""
        if len(record) > MAX_RECORD_LINES:
            return True
        if sum(text.count('"') for _, text in record) % 2:
            return True
        return self.width is not None and len(cells) != self.width

    def _decoded_records(self) -> Iterator[tuple[int, list[str]]]:
        """UTF-16 and UTF-32 files, whose line breaks are not single bytes, and files whose
        lines end in a carriage return alone: decoded as a whole, without the per-line
        checks."""
        numbers = count(1)
        with open(self.path, encoding=self.encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            try:
                # zip, not a loop in Python, pairs each record with its number.
                yield from zip(numbers, reader, strict=False)
            except (UnicodeDecodeError, csv.Error) as error:
                # zip took the number of the record that failed before reading it.
                self._raise_unreadable(error, next(numbers) - 1)

    def _raise_unreadable(self, error: Exception, row_number: int) -> None:
        if isinstance(error, UnicodeDecodeError):
            raise ImportFileError(
                f"row {row_number} is not valid {self.encoding} text ({error.reason}); "
                "save the file as UTF-8 or name its encoding in the mapping profile",
                path=str(self.path),
            ) from None
        raise ImportFileError(
            f"row {row_number} cannot be read as CSV: {error}", path=str(self.path)
        ) from None


# A file by its path, or an open text or bytes stream (what the platform readers take).
CsvSource = str | PathLike | IO[str] | IO[bytes]
_SPOOL_CHUNK = 1 << 20


@contextlib.contextmanager
def csv_rows_of(source: CsvSource, *, encoding: str | None = None,
                delimiter: str | None = None) -> Iterator[CsvRows]:
    """``CsvRows`` over ``source``, so that every CSV reader gets the same protections: the
    field size limit, a quote left open, undecodable text and NUL bytes each refuse their
    row by number (a ``BrokenRow``) instead of ending the import or reaching the database.
    A stream is first copied to a temporary file (CsvRows reads a file, once per pass):
    bytes as they are, text as UTF-8."""
    if isinstance(source, str | PathLike):
        yield CsvRows(Path(source), encoding=encoding, delimiter=delimiter)
        return
    with tempfile.NamedTemporaryFile(suffix=".csv") as spool:
        if isinstance(source.read(0), bytes):
            shutil.copyfileobj(source, spool)  # type: ignore[misc]
        else:
            encoding = "utf-8"
            for chunk in iter(lambda: source.read(_SPOOL_CHUNK), ""):
                spool.write(chunk.encode("utf-8"))  # type: ignore[union-attr]
        spool.flush()
        yield CsvRows(Path(spool.name), encoding=encoding, delimiter=delimiter)


def _estimated_rows(size: int, sample: bytes) -> int:
    """The rows of a file of ``size`` bytes (header included) from its first bytes: exact
    for a file the sample holds whole, else the file's bytes over the sample's average row
    length (a progress bar's total, and its time left, come from it)."""
    lines = sample.count(b"\n") + (0 if sample.endswith(b"\n") else 1)
    if size <= len(sample):
        return lines
    return max(lines, round(size * lines / len(sample)))
