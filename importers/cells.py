"""Cell text to the canonical ``data`` of each attribute type (see the table in
``pim.records``). Each parser raises ``CellError`` with a message a user can act on."""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pim.records import GTIN_LENGTHS, is_gtin

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "off"})
_AMOUNT_AND_CODE = re.compile(r"^\s*([-+]?[\d.,\s']+?)\s*([A-Za-z_]+)\s*$")


class CellError(ValueError):
    """A cell that cannot become a value; the message goes into a RowError."""


# A number with more digits or a larger exponent than this is never written out in full
# ("1e30000000" would be 30 MB of zeros): it keeps its scientific notation and the catalog
# refuses it with its documented precision (pim.catalog.values.MAX_INTEGER_DIGITS).
_MAX_PLAIN_EXPONENT = 64


def plain_decimal(number: Decimal) -> str:
    """``format(number, "f")`` when that is short, else ``str(number)`` (scientific)."""
    exponent = number.as_tuple().exponent
    if (number.is_finite() and isinstance(exponent, int) and abs(exponent) <= _MAX_PLAIN_EXPONENT
            and (number.is_zero() or abs(number.adjusted()) <= _MAX_PLAIN_EXPONENT)):
        return format(number, "f")
    return str(number)


def parse_decimal(text: str, *, decimal_comma: bool = False) -> str:
    """A Decimal as normalized text: "12.50" stays "12.50", "1e3" becomes "1000"."""
    if not decimal_comma and text.isascii() and text.replace(".", "", 1).isdigit():
        # ASCII digits with at most one inner point and no leading zero ("12.50", "0.5"),
        # the common cell, are already what format(Decimal(text), "f") gives.
        first = text[0]
        if first != "." and text[-1] != "." and (
            first != "0" or len(text) == 1 or text[1] == "."
        ):
            return text
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "")
    if decimal_comma:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"{text!r} is not a number") from None
    if not number.is_finite():
        raise CellError(f"{text!r} is not a finite number")
    return plain_decimal(number)


def parse_boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(f"{text!r} is not a yes/no value (use 1/0, true/false or yes/no)")


def parse_date(text: str, formats: tuple[str, ...] = ()) -> str:
    """ISO dates (and ISO datetimes, whose time is dropped), then the profile's formats."""
    value = text.strip()
    if len(value) >= 10 and value[4] == "-":
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            pass
    for date_format in formats:
        try:
            return dt.datetime.strptime(value, date_format).date().isoformat()
        except ValueError:
            continue
    expected = "YYYY-MM-DD" + "".join(f" or {f}" for f in formats)
    raise CellError(f"{text!r} is not a date (expected {expected})")


def split_list(text: str, separator: str = ",") -> list[str]:
    """Items of a list cell, trimmed, empty items and repeats dropped, order kept."""
    if separator not in text:
        item = text.strip()
        return [item] if item else []
    return list(dict.fromkeys([item for item in map(str.strip, text.split(separator)) if item]))


def parse_identifier(text: str) -> str:
    value = text.strip()
    if (value.isascii() and value.isdigit() and len(value) in GTIN_LENGTHS
            and not is_gtin(value)):
        raise CellError(f"{value!r} looks like a GTIN/EAN but its check digit is wrong")
    return value


def parse_amount_with_code(text: str, *, decimal_comma: bool = False) -> tuple[str, str | None]:
    """"1.25 KILOGRAM" or "12.50 EUR" as (amount, code); a bare number gives (amount, None)."""
    last = text.rstrip()[-1:]
    if not (last.isascii() and (last.isalpha() or last == "_")):
        # No code can end the cell: a bare number, the common case, needs no regex.
        return parse_decimal(text, decimal_comma=decimal_comma), None
    match = _AMOUNT_AND_CODE.match(text)
    if match:
        return parse_decimal(match.group(1), decimal_comma=decimal_comma), match.group(2)
    return parse_decimal(text, decimal_comma=decimal_comma), None


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def resolve_media(text: str, media_root: Path | None) -> tuple[str, str | None]:
    """``(reference, warning)``: URLs pass through; a relative path must stay inside the
    media folder (a CellError otherwise) and a missing file gives a warning."""
    value = text.strip()
    if is_url(value):
        return value, None
    normalized = posixpath.normpath(value.replace("\\", "/"))
    if normalized.startswith(("/", "../")) or normalized == ".." or re.match(r"^[A-Za-z]:", value):
        raise CellError(f"{value!r} must be a path inside the media folder or an http(s) URL")
    if media_root is None:
        return normalized, f"media file {normalized!r} not found (no media folder was given)"
    if not (media_root / normalized).is_file():
        return normalized, f"media file {normalized!r} not found in {str(media_root)!r}"
    return normalized, None
