"""Shopify product import CSV, with the 48 columns of Shopify's product template.

One row per variant; the variants of one product share a Handle (their ``parent_sku`` made
handle-shaped: lower case, ``[a-z0-9-]``; the root model unless the channel groups by the
nearest model), so a shirt in 3 colours x 5 sizes is one Shopify product with 15 variants. The product's own columns (Title, Body, Vendor,
options' names, the first image) fill the first row only; each variant row carries its
option values, SKU, prices, barcode, stock and weight; extra images follow as rows with only
Handle, Image Src and Image Position, as Shopify's template does.

Options come from ``axes`` (every axis any of the product's variants has, in code order, at
most three: Shopify's limit), named from the axis code ("colour" -> "Colour"); a product without axes gets Shopify's "Title" / "Default Title".
A sale is written the Shopify way: Variant Price is the sale price and Variant Compare At
Price the regular one.

Grouping relies on the hub delivering a model's variants consecutively; only the current
product's variants are held in memory.

A delta starts with one row per product that left the channel whole
(``FeedInfo.withdrawn_groups``): its Handle, Published ``FALSE`` and Status ``archived``, which
Shopify's import applies to the existing product. A variant withdrawn while its product
stays published cannot be said in Shopify's CSV (it matches variants by their option values,
which a withdrawal no longer has, and its import never deletes a variant): it is left out,
and must be removed in Shopify (or the whole product withdrawn).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import islice
from typing import Any

from exporters.base import (
    FeedInfo,
    amount_of,
    axis_label,
    image_list,
    main_category,
    model_groups,
    neutralise,
    spreadsheet_text,
    text_of,
    url_slug,
)
from exporters.csv_file import write_rows_as_csv
from pim.records import ChannelVariant

MEDIA_TYPE = "text/csv; charset=utf-8"
COLUMNS = (
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags",
    "Published", "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value",
    "Option3 Name", "Option3 Value", "Variant SKU", "Variant Grams",
    "Variant Inventory Tracker", "Variant Inventory Qty", "Variant Inventory Policy",
    "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price",
    "Variant Requires Shipping", "Variant Taxable", "Variant Barcode", "Image Src",
    "Image Position", "Image Alt Text", "Gift Card", "SEO Title", "SEO Description",
    "Google Shopping / Google Product Category", "Google Shopping / Gender",
    "Google Shopping / Age Group", "Google Shopping / MPN", "Google Shopping / Condition",
    "Google Shopping / Custom Product", "Variant Image", "Variant Weight Unit",
    "Variant Tax Code", "Cost per item", "Included / United States", "Price / United States",
    "Compare At Price / United States", "Included / International", "Price / International",
    "Compare At Price / International", "Status",
)
COLUMN = {name: i for i, name in enumerate(COLUMNS)}
MAX_OPTIONS = 3
_GRAMS_PER = {"GRAM": Decimal(1), "KILOGRAM": Decimal(1000), "MILLIGRAM": Decimal("0.001"),
              "POUND": Decimal("453.59237"), "OUNCE": Decimal("28.349523125")}
_CONTINUE_SELLING = frozenset({"backorder", "preorder"})


def shopify_handle(key: str) -> str:
    """The Handle of a product model (or a standalone product) from its SKU."""
    handle = url_slug(key)
    if handle:
        return handle
    digest = hashlib.sha1(key.encode("utf-8", "replace")).hexdigest()
    return f"product-{digest[:12]}"  # e.g. a SKU with no Latin letters


def write_shopify_csv(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    return write_rows_as_csv(_rows(variants, feed))


def _template(**cells: str) -> tuple[str, ...]:
    row = [""] * len(COLUMNS)
    for name, value in cells.items():
        row[COLUMN[name]] = value
    return tuple(row)


# The cells every variant row shares; each variant row starts as a copy.
_VARIANT_ROW = _template(**{
    "Variant Inventory Policy": "deny", "Variant Fulfillment Service": "manual",
    "Variant Requires Shipping": "TRUE", "Variant Taxable": "TRUE",
})
_IMAGE_SRC, _IMAGE_POSITION = COLUMN["Image Src"], COLUMN["Image Position"]
_OPTION_NAMES = tuple(COLUMN[f"Option{n} Name"] for n in range(1, MAX_OPTIONS + 1))
_OPTION_VALUES = tuple(COLUMN[f"Option{n} Value"] for n in range(1, MAX_OPTIONS + 1))


def _rows(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[list[str]]:
    yield list(COLUMNS)
    if feed.delta:
        for withdrawn in feed.withdrawn_groups:
            yield list(_archived_row(withdrawn))
    for key, grouped in model_groups(variants):
        group = list(grouped)  # one product's variants: its options are known before row 1
        handle = shopify_handle(key)
        images: dict[str, None] = {}  # this product's images, in order of first appearance
        option_codes = _option_codes(group)
        for position, variant in enumerate(group):
            fields = variant.fields
            row = list(_VARIANT_ROW)
            row[0] = handle
            variant_images = image_list(fields)
            images.update(dict.fromkeys(variant_images))
            if position == 0:
                _product_columns(row, fields, option_codes, variant_images)
            _variant_columns(row, variant, option_codes, variant_images)
            yield row
        for position, image in enumerate(islice(images, 1, None), start=2):
            row = [""] * len(COLUMNS)
            row[0] = handle
            row[_IMAGE_SRC] = neutralise(image)
            row[_IMAGE_POSITION] = str(position)
            yield row


def _archived_row(group: str) -> tuple[str, ...]:
    """A product that left the channel whole: archived and unpublished in the store."""
    return _template(**{"Handle": shopify_handle(group), "Published": "FALSE",
                        "Status": "archived"})


def _option_codes(group: list[ChannelVariant]) -> list[str]:
    """Every axis any variant of the product has, in code order (at most Shopify's three).
    Code order, not the order of the variant's ``axes``: snapshots stored as PostgreSQL JSONB
    come back with their keys reordered, and the file must not depend on the engine."""
    codes = set(group[0].fields.get("axes") or ())
    for variant in group[1:]:
        codes.update(variant.fields.get("axes") or ())
    return sorted(codes)[:MAX_OPTIONS]


def _product_columns(row: list[str], fields: dict[str, Any], option_codes: list[str],
                     images: list[str]) -> None:
    title = text_of(fields.get("title"))
    row[COLUMN["Title"]] = neutralise(title)
    row[COLUMN["Body (HTML)"]] = spreadsheet_text(fields.get("description"))
    row[COLUMN["Vendor"]] = spreadsheet_text(fields.get("brand"))
    # Shopify's Product Category must be a node of its own taxonomy; our path goes to Type.
    row[COLUMN["Type"]] = neutralise(main_category(fields).rsplit(" > ", 1)[-1])
    enabled = fields.get("enabled") is not False
    row[COLUMN["Published"]] = "TRUE" if enabled else "FALSE"
    row[COLUMN["Status"]] = "active" if enabled else "draft"
    row[COLUMN["Gift Card"]] = "FALSE"
    if option_codes:
        for column, code in zip(_OPTION_NAMES, option_codes, strict=False):
            row[column] = neutralise(axis_label(code))
    else:
        row[COLUMN["Option1 Name"]] = "Title"
    if images:
        row[COLUMN["Image Src"]] = neutralise(images[0])
        row[COLUMN["Image Position"]] = "1"
        row[COLUMN["Image Alt Text"]] = neutralise(title)


def _variant_columns(row: list[str], variant: ChannelVariant, option_codes: list[str],
                     images: list[str]) -> None:
    """The variant's own cells (the constant ones come with ``_VARIANT_ROW``)."""
    fields = variant.fields
    get = fields.get
    if option_codes:
        axes = get("axes") or {}
        for column, code in zip(_OPTION_VALUES, option_codes, strict=False):
            row[column] = spreadsheet_text(axes.get(code))
    else:
        row[COLUMN["Option1 Value"]] = "Default Title"
    row[COLUMN["Variant SKU"]] = neutralise(variant.sku)
    weight = get("weight")
    if isinstance(weight, dict):
        grams = _grams(str(weight.get("amount")), str(weight.get("unit") or "KILOGRAM"))
        if grams is not None:
            row[COLUMN["Variant Grams"]] = grams
            row[COLUMN["Variant Weight Unit"]] = "g"
    quantity = get("quantity")
    if isinstance(quantity, int):
        row[COLUMN["Variant Inventory Tracker"]] = "shopify"
        row[COLUMN["Variant Inventory Qty"]] = str(quantity)
    if get("availability") in _CONTINUE_SELLING:
        row[COLUMN["Variant Inventory Policy"]] = "continue"
    price, sale = amount_of(get("price")), amount_of(get("sale_price"))
    if sale and price and _less(sale, price):
        row[COLUMN["Variant Price"]] = _amount(sale)
        row[COLUMN["Variant Compare At Price"]] = _amount(price)
    else:
        row[COLUMN["Variant Price"]] = _amount(price)
    row[COLUMN["Variant Barcode"]] = spreadsheet_text(get("gtin"))
    row[COLUMN["Google Shopping / MPN"]] = spreadsheet_text(get("mpn"))
    row[COLUMN["Google Shopping / Condition"]] = spreadsheet_text(get("condition"))
    if images:
        row[COLUMN["Variant Image"]] = neutralise(images[0])


# Weights and prices repeat across a catalog; a small cache skips the Decimal round trip.
@lru_cache(maxsize=1024)
def _grams(amount_text: str, unit: str) -> str | None:
    factor = _GRAMS_PER.get(unit.upper())
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        return None
    if factor is None or not amount.is_finite():
        return None
    return str(int((amount * factor).to_integral_value()))


def _less(a: str, b: str) -> bool:
    try:
        return Decimal(a) < Decimal(b)
    except InvalidOperation:
        return False


@lru_cache(maxsize=1024)
def _amount(text: str) -> str:
    try:
        return format(Decimal(text), "f") if text else ""
    except InvalidOperation:
        return neutralise(text)  # not a number: product text, so treated as such
