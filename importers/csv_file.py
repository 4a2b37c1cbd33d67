"""Delimited text files, streamed one record at a time."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import count
from pathlib import Path

from importers.errors import EmptyFileError, ImportFileError
from importers.sniff import SAMPLE_BYTES, EncodingGuess, detect_delimiter, sniff_encoding

# Rich-text descriptions exceed the csv module's default 128 KiB field limit.
MAX_FIELD_BYTES = 16 * 1024 * 1024
if csv.field_size_limit() < MAX_FIELD_BYTES:
    csv.field_size_limit(MAX_FIELD_BYTES)


class CsvRows:
    """The rows of a delimited file as ``(row_number, cells)``, row 1 being the first record.

    A record spanning several lines (a quoted multi-line cell) counts as one row, as it does
    when the file is opened in a spreadsheet.
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
        self.estimated_rows = _estimated_rows(path.stat().st_size, sample)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
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


def _estimated_rows(size: int, sample: bytes) -> int:
    """The rows of a file of ``size`` bytes (header included) from its first bytes: exact
    for a file the sample holds whole, else the file's bytes over the sample's average row
    length (a progress bar's total, and its time left, come from it)."""
    lines = sample.count(b"\n") + (0 if sample.endswith(b"\n") else 1)
    if size <= len(sample):
        return lines
    return max(lines, round(size * lines / len(sample)))
