"""What every feed writer shares: the feed's description, the format record, chunked output,
escaping for spreadsheets and XML, and grouping of a product model's variants.

Writers are pure generators: channel variants in, bytes out, ~64 KB at a time, so a feed of
any size is served in constant memory and the first bytes leave before the last variant is
read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from html import unescape
from itertools import groupby
from typing import Any

from pim.records import CatalogContext, ChannelVariant, ProductRecord

CHUNK_SIZE = 64 * 1024  # big enough that per-chunk overhead vanishes, small enough to stream


@dataclass(slots=True)
class FeedInfo:
    """Everything about one feed that is not in its variants.

    ``withdrawn`` lists SKUs withdrawn from the channel since a delta's start, and
    ``withdrawn_groups`` the products that left whole: the groups (``parent_sku``, or the
    SKU of a product without one) none of whose variants is still published. Only delta
    feeds (``delta=True``) write them, each format in its own way (see its module).
    ``attribute_codes`` (optional) gives flat formats (CSV, XLSX) one column per mapped
    attribute; without it they write axes and attributes as one JSON cell.
    """

    channel: str
    channel_label: str = ""
    locale: str = "en_GB"
    currency: str = "EUR"
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    delta: bool = False
    withdrawn: list[str] = field(default_factory=list)
    withdrawn_groups: list[str] = field(default_factory=list)
    base_url: str = ""
    # The feed's version: how many publications have changed it (in this locale). A delta
    # also names the version it starts from, the one its receiver must hold (``since``'s).
    version: int = 0
    prev_version: int = 0
    # BMEcat header: who supplies the catalog.
    supplier_name: str = ""
    catalog_id: str = ""
    price_type: str = "net_list"  # BMEcat price_type: net_list or gros_list (tax included)
    attribute_codes: tuple[str, ...] = ()
    # Google Merchant feeds: descriptions as plain text (Google's advice) or, when True, the
    # stored (sanitized) HTML as it is.
    html_descriptions: bool = False
    # Formats that write product records (Akeneo): every locale of the channel, and the
    # catalog's structure (attribute types decide the data's shape).
    locales: tuple[str, ...] = ()
    catalog: CatalogContext | None = None


# A writer reads variants, or records for a format whose ``reads`` is "records".
Writer = (Callable[[Iterable[ChannelVariant], FeedInfo], Iterator[bytes]]
          | Callable[[Iterable[ProductRecord], FeedInfo], Iterator[bytes]])


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """A feed format. ``reads``: what ``write`` takes, the channel's published variants
    (``ChannelVariant``, the default) or the products' published records
    (``ProductRecord``: values as the catalog holds them, product models first)."""

    code: str
    label: str
    media_type: str
    extension: str
    write: Writer
    reads: str = "variants"


class ChunkedOutput:
    """Collects text pieces and hands them back as UTF-8 chunks of about ``CHUNK_SIZE``."""

    __slots__ = ("_pieces", "_size")

    def __init__(self) -> None:
        self._pieces: list[str] = []
        self._size = 0

    def add(self, text: str) -> bytes | None:
        """Add ``text``; return a chunk once enough has gathered, else None."""
        self._pieces.append(text)
        self._size += len(text)
        if self._size >= CHUNK_SIZE:
            return self.flush()
        return None

    def flush(self) -> bytes:
        text = "".join(self._pieces)
        try:
            chunk = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate in product text: not encodable
            chunk = text.encode("utf-8", "replace")
        self._pieces.clear()
        self._size = 0
        return chunk


# --- Spreadsheet safety (CSV, TSV, XLSX).

# A spreadsheet turns a cell starting with one of these into a formula (tab and CR act as
# such in some importers). Leading quotes are counted too so neutralising stays reversible:
# "'=x" is written "''=x" and readers strip exactly one quote (see restore_neutralised).
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def neutralise(text: str) -> str:
    """Prefix a single quote to product text a spreadsheet would run as a formula."""
    if text and text[0] in "=+-@\t\r'" and _FORMULA_START.match(text):
        return "'" + text
    return text


def spreadsheet_text(value: Any) -> str:
    """``neutralise(text_of(value))`` in one call: a cell's text for any field value."""
    text = value if value.__class__ is str else text_of(value)
    if text and text[0] in "=+-@\t\r'" and _FORMULA_START.match(text):
        return "'" + text
    return text


def restore_neutralised(text: str) -> str:
    """Undo ``neutralise`` when reading our own files back."""
    if text.startswith("'") and _FORMULA_START.match(text, 1):
        return text[1:]
    return text


# --- XML safety.

# Characters XML 1.0 forbids, including lone surrogates (U+D800-U+DFFF are outside every
# allowed range) and the non-characters U+FFFE/U+FFFF.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def without_forbidden_xml(text: str) -> str:
    return _XML_FORBIDDEN.sub("", text) if _XML_FORBIDDEN.search(text) else text


def xml_text(value: Any) -> str:
    """Text content: forbidden characters dropped, markup characters escaped."""
    text = value if isinstance(value, str) else str(value)
    if _XML_FORBIDDEN.search(text):
        text = _XML_FORBIDDEN.sub("", text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:  # a parser would turn a raw CR (and CRLF) into LF
        text = text.replace("\r", "&#13;")
    return text


def xml_attribute(value: Any) -> str:
    """An attribute value for double quotes; whitespace escaped so parsers keep it."""
    text = xml_text(value)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\t" in text or "\n" in text:
        text = text.replace("\t", "&#9;").replace("\n", "&#10;")
    return text


# --- Rich text as plain text.

# Where the layout of rich text breaks a line: block elements end a line, a list item
# starts one with a dash, <br> is a line break.
_LINE_BREAKING_TAG = re.compile(
    r"<br\s*/?>|</(?:p|div|h[1-6]|ul|ol|table|tr|blockquote|pre|dl|dd|dt)\s*>|<hr\s*/?>",
    re.IGNORECASE)
_LIST_ITEM_TAG = re.compile(r"<li(?:\s[^>]*)?>", re.IGNORECASE)
_CELL_END_TAG = re.compile(r"</t[dh]\s*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_SPACED_LINE_BREAK = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")


@lru_cache(maxsize=512)  # the variants of one model share their description
def plain_text(html: str) -> str:
    """The text a reader sees in sanitized rich text: tags dropped, entities decoded, one
    line per paragraph or list item ("- " before an item), runs of spaces made one."""
    if "<" not in html and "&" not in html:
        return html.strip()
    text = _LINE_BREAKING_TAG.sub("\n", html.replace("\r\n", "\n").replace("\n", " "))
    text = _LIST_ITEM_TAG.sub("\n- ", text)
    text = _CELL_END_TAG.sub(" ", text)
    text = unescape(_ANY_TAG.sub("", text))
    text = _SPACED_LINE_BREAK.sub("\n", _SPACES.sub(" ", text))
    return _BLANK_LINES.sub("\n\n", text).strip()


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters (schema and spreadsheet limits count characters)."""
    return text if len(text) <= limit else text[:limit]


# --- Field helpers.


def text_of(value: Any) -> str:
    """A display string for any JSON-safe field value ("" when missing)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(text_of(item) for item in value)
    if isinstance(value, dict) and "amount" in value:
        unit = value.get("currency") or value.get("unit") or ""
        return f"{value['amount']} {unit}".strip()
    return str(value)


def amount_of(price: Any) -> str:
    """The amount string of a ``{"amount", "currency"}`` field, "" when absent."""
    if isinstance(price, dict):
        amount = price.get("amount")
        return "" if amount is None else str(amount)
    return ""


def main_category(fields: dict[str, Any]) -> str:
    categories = fields.get("categories") or ()
    return text_of(categories[0]) if categories else ""


def image_list(fields: dict[str, Any]) -> list[str]:
    images = fields.get("images") or ()
    return [image for image in images if isinstance(image, str) and image]


def group_key(variant: ChannelVariant) -> str:
    """Variants of one product model share their parent's SKU; others stand alone."""
    return variant.fields.get("parent_sku") or variant.sku


def model_groups(
    variants: Iterable[ChannelVariant],
) -> Iterator[tuple[str, Iterator[ChannelVariant]]]:
    """Consecutive variants with the same parent, as ``(parent_sku_or_sku, variants)``.

    The hub delivers variants of one product model consecutively; writers that emit a
    parent row rely on it and hold at most one group. Should a model's variants arrive
    split, the model is written twice (each part complete on its own).
    """
    return groupby(variants, key=group_key)


HANDLE_UNSAFE = re.compile(r"[^a-z0-9]+")


def url_slug(text: str) -> str:
    """Lower-case letters, digits and single hyphens (Shopify handles, Magento url keys)."""
    lowered = text.lower()
    # Most SKUs already are letters, digits and single hyphens: no substitution to run.
    if lowered.isascii() and lowered.replace("-", "").isalnum() and "--" not in lowered:
        return lowered.strip("-")
    return HANDLE_UNSAFE.sub("-", lowered).strip("-")


def axis_label(code: str) -> str:
    """A human label for an axis code: "colour" -> "Colour", "shoe_size" -> "Shoe size"."""
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:]
