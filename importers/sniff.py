"""Tell what a file is before parsing it: its format by content (falling back to the
extension), a text file's encoding (BOM, UTF-16, UTF-8, then charset-normalizer) and its
delimiter."""

from __future__ import annotations

import codecs
import mmap
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True, slots=True)
class EncodingGuess:
    """A text file's encoding and how it was found: ``bom``, ``utf-16`` (its zero bytes),
    ``utf-8`` (the sample decodes), ``detected`` (charset-normalizer's guess), ``profile``
    (named by the mapping profile) or ``json`` (JSON text is UTF-8). ``confidence`` of a detected encoding: 1 - the share of
    the decoded sample that looks like noise, divided by the number of encodings that read
    it differently but as plausibly (a short sample whose accents several code pages place
    alike is a coin toss, and says so)."""

    encoding: str
    found_by: str
    confidence: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return {"encoding": self.encoding, "found_by": self.found_by,
                "confidence": round(self.confidence, 3)}


# Candidates charset-normalizer finds about as free of noise as its best: one of them is
# chosen by the letters it reads (see _misplaced_symbols).
_NEARLY_AS_CLEAN = 0.15
# Western European text in Windows-1252 (what Excel on Windows writes there) reads the same
# in Windows-1250 and others whenever it avoids the few letters they place differently; among
# equally good readings, Windows-1252 is the likelier.
_PREFERRED_AMONG_EQUALS = "cp1252"
# A symbol next to a letter: "³" and "¯" in "¯ó³ta ³ódŸ", Polish read as Windows-1252.
_SYMBOL_BY_A_LETTER = re.compile(r"(?<=[^\W\d_])[^\w\s\x00-\x7f]|[^\w\s\x00-\x7f](?=[^\W\d_])")
_TYPOGRAPHY = frozenset("\u00a0«»‹›–—…°•‘’‚“”„€£$¥©®™§¶·±×÷")


def detect_encoding(sample: bytes) -> str:
    """The encoding of a text sample (see ``sniff_encoding``)."""
    return sniff_encoding(sample).encoding


def sniff_encoding(sample: bytes) -> EncodingGuess:
    """The encoding of a text sample: a BOM decides; else UTF-16 by its zero bytes, then
    UTF-8 if the sample decodes; else charset-normalizer's best guess (so a Polish file in
    Windows-1250 is read as such, not as Windows-1252)."""
    if sample.startswith(codecs.BOM_UTF8):
        return EncodingGuess("utf-8-sig", "bom")
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return EncodingGuess("utf-16", "bom")
    if _looks_like_bomless_utf16(sample):
        return EncodingGuess("utf-16-le" if sample[1:2] == b"\x00" else "utf-16-be", "utf-16")
    if b"\x00" in sample:
        raise UnsupportedFileError("the file is binary, not delimited text")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return EncodingGuess("utf-8", "utf-8")
    except UnicodeDecodeError:
        pass
    guess = _charset_normalizer_guess(sample)
    if guess is None:
        raise UnsupportedFileError(
            "cannot tell the text encoding (not UTF-8 or UTF-16, and no single-byte encoding "
            "reads it as text); save the file as UTF-8 or name the encoding in the mapping "
            "profile")
    return guess


def _charset_normalizer_guess(sample: bytes) -> EncodingGuess | None:
    from charset_normalizer import from_bytes  # loaded only for files that are not UTF-8

    matches = list(from_bytes(sample))
    if not matches:  # noisier than charset-normalizer's default cut (text dense in accents)
        matches = list(from_bytes(sample, threshold=0.5))
    if not matches:
        return None
    cleanest = min(match.chaos for match in matches)
    # charset-normalizer's noise measure can rate Polish read as Windows-1252 ("¯ó³ta")
    # cleaner than read right; among nearly as clean readings, fewer symbols inside words
    # decide, then the preferred code page, then charset-normalizer's order.
    scored = sorted(
        ((_misplaced_symbols(str(match)), match.chaos, order, match)
         for order, match in enumerate(matches) if match.chaos - cleanest <= _NEARLY_AS_CLEAN),
        key=lambda item: item[:3])
    fewest = scored[0][0]
    equals = [match for misplaced, _, _, match in scored if misplaced == fewest]
    best = equals[0]
    encoding = best.encoding
    for match in equals:
        if _PREFERRED_AMONG_EQUALS in match.could_be_from_charset:
            encoding = _PREFERRED_AMONG_EQUALS
            break
    return EncodingGuess(encoding, "detected", max(0.0, 1.0 - best.chaos) / len(equals))


def _misplaced_symbols(text: str) -> int:
    """Non-ASCII symbols (not letters, digits or common typography) touching a letter."""
    return sum(1 for found in _SYMBOL_BY_A_LETTER.finditer(text)
               if found.group() not in _TYPOGRAPHY)


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
