"""Tell what a file is before parsing it: its format by content (falling back to the
extension), a text file's encoding and its delimiter."""

from __future__ import annotations

import codecs
import mmap
from pathlib import Path

from importers.errors import (
    EmptyFileError,
    EncryptedWorkbookError,
    UnsupportedFileError,
)

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm"}
TEXT_EXTENSIONS = {".csv", ".tsv", ".txt"}
DELIMITER_CANDIDATES = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024


def detect_format(path: Path) -> str:
    """``"xlsx"`` or ``"csv"``; content wins over the extension, which users get wrong."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise EmptyFileError("the file is empty", path=str(path))
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(OLE2_MAGIC):
        raise _ole2_error(path)
    suffix = path.suffix.lower()
    if suffix in SPREADSHEET_EXTENSIONS:
        raise UnsupportedFileError(
            "the file has an .xlsx extension but is not a workbook (not a zip archive); "
            "it may be corrupt or truncated",
            path=str(path),
        )
    if suffix in TEXT_EXTENSIONS or suffix == "":
        return "csv"
    # An unknown extension with text content is still most likely a delimited export.
    return "csv"


def _ole2_error(path: Path) -> Exception:
    # Office wraps an encrypted xlsx in a CFB container holding an "EncryptedPackage" stream;
    # a legacy .xls is CFB too but without that stream.
    marker = "EncryptedPackage".encode("utf-16-le")
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        encrypted = data.find(marker) != -1
    if encrypted:
        return EncryptedWorkbookError(
            "the workbook is password-protected (encrypted); remove the password in Excel "
            "(File > Info > Protect Workbook) and save it again",
            path=str(path),
        )
    return UnsupportedFileError(
        "this is a legacy Excel 97-2003 (.xls) or other OLE2 file; save it as .xlsx or CSV",
        path=str(path),
    )


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text sample: a BOM decides; else UTF-16 by its zero bytes, then
    UTF-8 if the sample decodes, else cp1252 (what Excel on Windows writes)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _looks_like_bomless_utf16(sample):
        return "utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be"
    if b"\x00" in sample:
        raise UnsupportedFileError("the file is binary, not delimited text")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        raise UnsupportedFileError(
            "cannot tell the text encoding (not UTF-8, UTF-16 or Windows-1252); "
            "save the file as UTF-8 or name the encoding in the mapping profile"
        ) from None


def _looks_like_bomless_utf16(sample: bytes) -> bool:
    # ASCII-heavy text in UTF-16 has a zero in every other byte.
    pairs = sample[: 2 * 512]
    if len(pairs) < 4:
        return False
    even_zeros = pairs[0::2].count(0)
    odd_zeros = pairs[1::2].count(0)
    half = len(pairs) // 2
    return max(even_zeros, odd_zeros) > 0.4 * half and min(even_zeros, odd_zeros) < 0.05 * half


def detect_delimiter(first_line: str, suffix: str = "") -> str:
    """The candidate that splits the header most often, counted outside quotes."""
    counts = dict.fromkeys(DELIMITER_CANDIDATES, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITER_CANDIDATES, key=lambda d: counts[d])
    if counts[best] == 0:
        return "\t" if suffix == ".tsv" else ","
    return best
