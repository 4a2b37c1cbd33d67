"""XLSX workbooks: safety checks on the zip, sheet choice, and the sheet's rows as text.

Two readers, one shape. python-calamine (Rust) is several times faster than openpyxl's
read-only mode (figures in the report / README) but holds one sheet in memory, so it reads
sheets up to ``CALAMINE_MAX_SHEET_BYTES`` of XML; larger sheets stream through openpyxl,
whose memory stays flat however many rows there are. Both return formulas' cached values.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException, ElementTree

from importers.errors import ImportFileError, UnsafeFileError

# Measured: 100,000 rows x 25 columns is 130 MB of sheet XML (inline strings; less with
# shared strings) and peaks at 250 MB RSS under calamine vs 60 MB under openpyxl, which is
# 16x slower. Up to ~200,000 such rows calamine's memory is acceptable; above, stream.
CALAMINE_MAX_SHEET_BYTES = 256 * 1024 * 1024
# Zip-bomb guards, checked on the declared sizes before any member is inflated. The total is
# the caller's to choose (the hub passes PIM_XLSX_MAX_UNCOMPRESSED_BYTES); this is its default.
MAX_TOTAL_BYTES = 512 * 1024**2
MAX_COMPRESSION_RATIO = 200
RATIO_CHECK_MIN_BYTES = 1024 * 1024  # tiny members legitimately compress very well
_VERIFY_CHUNK = 1024 * 1024

_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def check_zip_safety(path: Path, max_total_bytes: int = MAX_TOTAL_BYTES) -> zipfile.ZipFile:
    """Open the workbook's zip, refusing corrupt files and zip bombs before parsing: a
    workbook whose parts declare more than ``max_total_bytes`` uncompressed, or a large part
    compressed suspiciously well."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ImportFileError(
            "the workbook is corrupt (not a readable zip archive); open and re-save it in Excel",
            path=str(path),
        ) from None
    total = 0
    for info in archive.infolist():
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            archive.close()
            raise UnsafeFileError(
                f"refused: workbook part {info.filename!r} declares {info.file_size:,} bytes "
                f"uncompressed (ratio {ratio:.0f}:1); this looks like a zip bomb",
                path=str(path),
            )
    if total > max_total_bytes:
        archive.close()
        raise UnsafeFileError(
            f"refused: the workbook declares {total:,} bytes uncompressed in total, above the "
            f"limit of {max_total_bytes:,} (PIM_XLSX_MAX_UNCOMPRESSED_BYTES)",
            path=str(path),
        )
    if "xl/workbook.xml" not in archive.namelist():
        archive.close()
        raise ImportFileError(
            "the zip archive is not an Excel workbook (no xl/workbook.xml)", path=str(path)
        )
    _verify_inflated_sizes(archive, path)
    return archive


def _verify_inflated_sizes(archive: zipfile.ZipFile, path: Path) -> None:
    """Inflate every part once, in bounded chunks, through ``zipfile``, which stops at the
    declared size and checks the CRC: a part that inflates to more (or other) bytes than it
    declares is refused here, before a reader that trusts the declared sizes (calamine holds
    a whole sheet in memory) inflates it. The declared total is already within the limit, so
    this reads at most that much."""
    for info in archive.infolist():
        if info.is_dir():
            continue
        try:
            with archive.open(info) as member:
                while member.read(_VERIFY_CHUNK):
                    pass
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            archive.close()
            raise UnsafeFileError(
                f"refused: workbook part {info.filename!r} does not inflate to the "
                f"{info.file_size:,} bytes it declares ({error}); the file is corrupt or a zip "
                "bomb", path=str(path)) from None
        except NotImplementedError as error:  # an unsupported compression method
            archive.close()
            raise ImportFileError(f"the workbook cannot be read: {error}",
                                  path=str(path)) from None


def _workbook_xml(archive: zipfile.ZipFile, member: str):
    """A workbook part parsed without entities or DTDs. What a file holds is permanent:
    an XXE, a DTD or broken XML is an ImportFileError (never retried), not a crash."""
    where = str(archive.filename or member)
    try:
        return ElementTree.fromstring(archive.read(member))
    except KeyError:
        raise ImportFileError(f"the workbook has no {member}", path=where) from None
    except DefusedXmlException as error:
        raise UnsafeFileError(f"refused: {member} declares entities or a DTD "
                              f"({type(error).__name__}); Excel never writes them",
                              path=where) from None
    except ElementTree.ParseError as error:
        raise ImportFileError(f"the workbook is corrupt: {member} is not XML ({error})",
                              path=where) from None


def list_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """``[(sheet name, zip member)]`` in workbook order."""
    workbook = _workbook_xml(archive, "xl/workbook.xml")
    rels = _workbook_xml(archive, "xl/_rels/workbook.xml.rels")
    targets = {rel.get("Id"): rel.get("Target") for rel in rels.iter(f"{_PKG_REL_NS}Relationship")}
    sheets = []
    for sheet in workbook.iter(f"{_MAIN_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        sheets.append((sheet.get("name"), posixpath.normpath(member)))
    return sheets


def cell_text(value) -> str:
    """A cell as the text a user typed: whole numbers without ".0", dates as ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def column_index(letters: bytes) -> int:
    index = 0
    for char in letters:
        index = index * 26 + (char - 64)
    return index - 1


class XlsxRows:
    """The rows of one sheet as ``(row_number, cells)``; row numbers are Excel's."""

    def __init__(self, path: Path, *, sheet: str | int | None = None, reader: str = "auto",
                 max_uncompressed_bytes: int = MAX_TOTAL_BYTES):
        self.path = path
        with check_zip_safety(path, max_uncompressed_bytes) as archive:
            sheets = list_sheets(archive)
            if not sheets:
                raise ImportFileError("the workbook has no sheets", path=str(path))
            self.sheet_name, member = self._choose_sheet(sheets, sheet)
            sheet_bytes = archive.getinfo(member).file_size if member in archive.namelist() else 0
        if reader == "auto":
            reader = "calamine" if sheet_bytes <= CALAMINE_MAX_SHEET_BYTES else "openpyxl"
        self.reader = reader
        self.sheet_member = member
        self.total_rows: int | None = None
        self._calamine_sheet: Any = None  # python_calamine's sheet, opened below
        if reader == "calamine":
            self._open_calamine()

    def _choose_sheet(self, sheets, wanted) -> tuple[str, str]:
        if wanted is None:
            return sheets[0]
        if isinstance(wanted, int):
            if 0 <= wanted < len(sheets):
                return sheets[wanted]
        else:
            for name, member in sheets:
                if name == wanted or name.casefold() == str(wanted).casefold():
                    return name, member
        names = ", ".join(repr(name) for name, _ in sheets)
        raise ImportFileError(f"no sheet {wanted!r} in the workbook (sheets: {names})",
                              path=str(self.path))

    def _open_calamine(self) -> None:
        import python_calamine

        try:
            workbook = python_calamine.CalamineWorkbook.from_path(str(self.path))
            self._calamine_sheet = workbook.get_sheet_by_name(self.sheet_name)
        except python_calamine.PasswordError:
            raise ImportFileError("the workbook is password-protected", path=str(self.path)) from None
        except Exception as error:  # calamine raises several unrelated types for bad files
            raise ImportFileError(f"the workbook cannot be read: {error}",
                                  path=str(self.path)) from None
        end = self._calamine_sheet.end
        self.total_rows = end[0] + 1 if end else 0

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        if self.reader == "calamine":
            rows = self._calamine_sheet.iter_rows()
            merged = self._calamine_sheet.merged_cell_ranges or []
        else:
            rows, merged = self._openpyxl_rows(), self._scan_merged_ranges()
        fills = _MergedCellFiller(merged)
        for index, values in enumerate(rows):
            # Most cells are text already; only the others go through cell_text.
            cells = [value if value.__class__ is str else cell_text(value) for value in values]
            if fills.active:
                fills.apply(index, cells)
            yield index + 1, cells

    def _openpyxl_rows(self):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as error:
            raise ImportFileError(f"the workbook cannot be read: {error}",
                                  path=str(self.path)) from None
        try:
            worksheet = workbook[self.sheet_name]
            # read-only rows skip leading empty rows; pad them so row numbers stay Excel's.
            expected = 1
            for row in worksheet.iter_rows():
                cells = [cell for cell in row if getattr(cell, "row", None)]
                row_number = cells[0].row if cells else expected
                while expected < row_number:
                    yield []
                    expected += 1
                yield [cell.value for cell in row]
                expected += 1
        finally:
            workbook.close()

    def _scan_merged_ranges(self):
        # openpyxl's read-only mode does not expose merged cells; they sit at the end of the
        # sheet XML, so scan the raw bytes once (cheap next to parsing them).
        ranges = []
        tail = b""
        with zipfile.ZipFile(self.path) as archive, archive.open(self.sheet_member) as stream:
            while chunk := stream.read(4 * 1024 * 1024):
                data = tail + chunk
                if b"mergeCell" in data:
                    for match in _MERGE_REF.finditer(data):
                        c1, r1, c2, r2 = match.groups()
                        ranges.append(((int(r1) - 1, column_index(c1)),
                                       (int(r2) - 1, column_index(c2))))
                tail = data[-64:]
        return sorted(set(ranges))


class _MergedCellFiller:
    """Copies a merged range's top-left value into every cell of the range, as a reader of
    the sheet sees it."""

    def __init__(self, ranges):
        self.pending = sorted(ranges)
        self.open: list[tuple[int, int, int, str]] = []  # (last row, first col, last col, text)
        self.active = bool(self.pending)

    def apply(self, index: int, cells: list[str]) -> None:
        while self.pending and self.pending[0][0][0] == index:
            (r1, c1), (r2, c2) = self.pending.pop(0)
            text = cells[c1] if c1 < len(cells) else ""
            self.open.append((r2, c1, c2, text))
        for _last_row, first_col, last_col, text in self.open:
            if len(cells) <= last_col:
                cells.extend([""] * (last_col + 1 - len(cells)))
            for col in range(first_col, last_col + 1):
                cells[col] = text
        self.open = [entry for entry in self.open if entry[0] > index]
        self.active = bool(self.pending or self.open)
