"""Read a Shopify product CSV (Shopify's template, its exports, or ``exporters.shopify_csv``)
back into ProductRecords.

Headers are matched case-insensitively and in both spellings Shopify has used: the template's
("Handle", "Variant SKU", "Image Src", ...) and the renamed export headers ("URL handle",
"SKU", "Product image URL", ...).

What comes out, per Handle (rows of one Handle are expected together, as Shopify writes them):

- a ``product_model`` with ``sku`` = the Handle, when the product has real options (not
  Shopify's "Title" / "Default Title"), carrying the product-level values;
- one ``product`` per variant row, ``sku`` = Variant SKU, ``parent`` = the Handle (none for a
  single-variant product, which carries the product-level values itself); a variant also
  keeps its product's name, brand and description.

Value codes (attribute codes the hub's catalog is expected to have):

=================  ============================================================================
name               Title (text; localised when ``locale`` is given)
description        Body (HTML) (textarea; localised when ``locale`` is given)
brand              Vendor
gtin               Variant Barcode (dropped, with a warning, when a spreadsheet turned it into
                   a float such as "3.65275E+11")
mpn                Google Shopping / MPN
condition          Google Shopping / Condition
price              ``[{"amount", "currency"}]``: Compare At Price when it is above Variant Price
                   (Shopify's way of showing a sale), else Variant Price
sale_price         Variant Price when a Compare At Price above it exists
weight             ``{"amount": grams, "unit": "GRAM"}`` from Variant Grams
image              the first image (the variant's own image for a variant)
additional_images  list of the product's other image URLs (product-level record)
<option code>      each option's value, under the option name made a code ("Color" -> color)
=================  ============================================================================

Stock (Variant Inventory Qty) goes to ``stock[stock_source]``; Status / Published to
``enabled``. Cells a writer protected against formula injection ("'=...") are restored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from importers.cells import plain_decimal
from importers.csv_file import BrokenRow, CsvSource, csv_rows_of
from importers.product_rows import ragged_row_error
from pim.records import ProductRecord, RowError

Source = CsvSource

# Renamed export headers -> the template's spelling (both compared lower-cased).
HEADER_ALIASES = {
    "url handle": "handle",
    "description": "body (html)",
    "product category": "product category",
    "published on online store": "published",
    "sku": "variant sku",
    "barcode": "variant barcode",
    "price": "variant price",
    "compare-at price": "variant compare at price",
    "compare at price": "variant compare at price",
    "cost per item": "cost per item",
    "charge tax": "variant taxable",
    "inventory tracker": "variant inventory tracker",
    "inventory quantity": "variant inventory qty",
    "continue selling when out of stock": "variant inventory policy",
    "weight value (grams)": "variant grams",
    "weight unit for display": "variant weight unit",
    "requires shipping": "variant requires shipping",
    "fulfillment service": "variant fulfillment service",
    "product image url": "image src",
    "image position": "image position",
    "image alt text": "image alt text",
    "variant image url": "variant image",
    "gift card": "gift card",
    "mpn": "google shopping / mpn",
    "condition": "google shopping / condition",
}
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
# Product-level values every variant row carries too.
VARIANT_KEEPS = ("name", "brand", "description")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE][+-]?\d+$")
_CODE_UNSAFE = re.compile(r"[^a-z0-9]+")


def read_shopify_csv(
    source: Source,
    *,
    currency: str = "USD",
    locale: str | None = None,
    stock_source: str = "shopify",
    encoding: str = "utf-8-sig",
) -> Iterator[ProductRecord | RowError]:
    """ProductRecords (models first, then their variants) and RowErrors, in file order.

    Read through ``csv_rows_of``, as every CSV the hub imports: a row that cannot be read
    (a quote left open, undecodable text, a NUL byte) or holds more cells than the header
    is refused by number and the rest of the file is read on."""
    with csv_rows_of(source, encoding=encoding, delimiter=",") as csv_rows:
        rows = iter(csv_rows)
        _, header = next(rows, (1, None))
        if header is None:
            return
        csv_rows.width = len(header)
        columns = [canonical_header(name) for name in header]
        if "handle" not in columns:
            yield RowError(1, "not a Shopify product CSV: no Handle / URL handle column")
            return
        reader = _ProductReader(currency, locale, stock_source)
        group: list[tuple[int, dict[str, str]]] = []
        for row_number, cells in rows:
            refusal = unreadable_row(row_number, cells, len(columns))
            if refusal is not None:
                yield refusal
                continue
            if not any(cells):
                continue
            row = {
                name: restore_formula_text(cell.strip())
                for name, cell in zip(columns, cells, strict=False)
                if name
            }
            if group and row.get("handle") != group[0][1].get("handle"):
                yield from reader.product(group)
                group = []
            group.append((row_number, row))
        if group:
            yield from reader.product(group)


def unreadable_row(row_number: int, cells: list[str], width: int) -> RowError | None:
    """Why a row of a platform CSV is refused (a ``BrokenRow``'s reason, or more cells than
    the header, whose extra values would have no column), or None. A row shorter than
    the header is read, its missing cells empty: some tools drop trailing empty cells."""
    if isinstance(cells, BrokenRow):
        return RowError(row_number, cells.message)
    if len(cells) > width and any(cells[width:]):
        return ragged_row_error(row_number, len(cells), width)
    return None


def canonical_header(name: str) -> str:
    key = name.strip().lstrip("\ufeff").lower()
    return HEADER_ALIASES.get(key, key)


def restore_formula_text(text: str) -> str:
    """Undo the single quote a writer put before text a spreadsheet would run as formula."""
    if text.startswith("'") and _FORMULA_START.match(text, 1):
        return text[1:]
    return text


def option_code(name: str) -> str:
    return _CODE_UNSAFE.sub("_", name.strip().lower()).strip("_")


class _ProductReader:
    def __init__(self, currency: str, locale: str | None, stock_source: str):
        self.currency = currency
        self.locale = locale
        self.stock_source = stock_source

    def product(
        self, group: list[tuple[int, dict[str, str]]]
    ) -> Iterator[ProductRecord | RowError]:
        first_row, first = group[0]
        handle = first.get("handle", "")
        if not handle:
            yield RowError(first_row, "row without a Handle", column="Handle")
            return
        option_names = [first.get(f"option{n} name", "") for n in (1, 2, 3)]
        variants = [(n, row) for n, row in group if _is_variant_row(row)]
        has_options = bool(option_names[0]) and not (
            option_names[0].lower() == "title"
            and all(row.get("option1 value", "").lower() in ("", "default title")
                    for _, row in variants)
        )
        images = _product_images(group)
        product_values = self._product_values(first, images)
        enabled = _enabled(first)
        if has_options:
            yield ProductRecord(sku=handle, kind="product_model", values=product_values,
                                enabled=enabled, row=first_row)
        for row_number, row in variants:
            sku = row.get("variant sku", "")
            if not sku:
                yield RowError(row_number, "variant without a SKU", column="Variant SKU",
                               sku=handle)
                continue
            # A variant keeps its product's name, brand and description (and, without options,
            # every product-level value): it must read right even without its model.
            values: dict[str, list] = (
                {code: product_values[code] for code in VARIANT_KEEPS if code in product_values}
                if has_options else dict(product_values))
            errors = self._variant_values(values, row, row_number, sku)
            if has_options:
                for n, name in enumerate(option_names, start=1):
                    value = row.get(f"option{n} value", "")
                    if name and value:
                        values[option_code(name)] = [plain_value(value)]
            yield from errors
            yield ProductRecord(
                sku=sku,
                parent=handle if has_options else None,
                enabled=enabled,
                values=values,
                stock=_stock(row, self.stock_source),
                row=row_number,
            )

    def _product_values(self, first: dict[str, str], images: list[str]) -> dict[str, list]:
        values: dict[str, list] = {}
        for code, column in (("name", "title"), ("description", "body (html)")):
            if first.get(column):
                values[code] = [{"locale": self.locale, "scope": None, "data": first[column]}]
        if first.get("vendor"):
            values["brand"] = [plain_value(first["vendor"])]
        if images:
            values["image"] = [plain_value(images[0])]
            if len(images) > 1:
                values["additional_images"] = [plain_value(images[1:])]
        return values

    def _variant_values(self, values: dict[str, list], row: dict[str, str], row_number: int,
                        sku: str) -> list[RowError]:
        errors: list[RowError] = []
        price = finite_decimal(row.get("variant price", ""))
        compare_at = finite_decimal(row.get("variant compare at price", ""))
        if price is not None and compare_at is not None and compare_at > price:
            values["price"] = [plain_value([self._money(compare_at)])]
            values["sale_price"] = [plain_value([self._money(price)])]
        elif price is not None:
            values["price"] = [plain_value([self._money(price)])]
        elif row.get("variant price"):
            errors.append(RowError(row_number, "price is not a number", column="Variant Price",
                                   value=row["variant price"], sku=sku))
        for code, column, label in (("gtin", "variant barcode", "Variant Barcode"),
                                    ("mpn", "google shopping / mpn", "Google Shopping / MPN")):
            identifier = row.get(column, "")
            if _SCIENTIFIC.match(identifier):
                errors.append(RowError(row_number, "identifier was turned into a number by a "
                                       "spreadsheet and lost its digits; left out",
                                       column=label, value=identifier, sku=sku,
                                       severity="warning"))
            elif identifier:
                values[code] = [plain_value(identifier)]
        if row.get("google shopping / condition"):
            values["condition"] = [plain_value(row["google shopping / condition"])]
        grams = finite_decimal(row.get("variant grams", ""))
        if grams is not None:
            values["weight"] = [plain_value({"amount": plain_decimal(grams), "unit": "GRAM"})]
        if row.get("variant image"):
            values["image"] = [plain_value(row["variant image"])]
        return errors

    def _money(self, amount: Decimal) -> dict[str, str]:
        return {"amount": plain_decimal(amount), "currency": self.currency}


def _is_variant_row(row: dict[str, str]) -> bool:
    # Image-only rows carry Handle + Image Src (+ position, alt text) and nothing else.
    return any(row.get(column) for column in (
        "variant sku", "variant price", "option1 value", "variant barcode", "variant grams"))


def _product_images(group: Iterable[tuple[int, dict[str, str]]]) -> list[str]:
    positioned = []
    for order, (_, row) in enumerate(group):
        src = row.get("image src", "")
        if src:
            position = finite_decimal(row.get("image position", ""))
            positioned.append((position if position is not None else Decimal(10**9), order, src))
    images: list[str] = []
    for _, _, src in sorted(positioned):
        if src not in images:
            images.append(src)
    return images


def _enabled(row: dict[str, str]) -> bool | None:
    status = row.get("status", "").lower()
    if status:
        return status == "active"
    published = row.get("published", "").lower()
    if published:
        return published == "true"
    return None


def _stock(row: dict[str, str], source: str) -> dict[str, Decimal] | None:
    quantity = finite_decimal(row.get("variant inventory qty", ""))
    return {source: quantity} if quantity is not None else None


def finite_decimal(text: str) -> Decimal | None:
    """A cell as a finite Decimal, None when empty or not a number."""
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def plain_value(data: Any) -> dict[str, Any]:
    """A value neither localizable nor scopable."""
    return {"locale": None, "scope": None, "data": data}
