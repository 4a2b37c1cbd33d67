"""The flat, one-row-per-variant layout shared by the generic CSV and XLSX feeds.

Fixed columns for the canonical fields, then one column per ``FeedInfo.attribute_codes``
entry (filled from axes or attributes), then ``attributes``: a JSON object of any axis or
attribute without a column of its own (a header must be written before the first row, and a
streamed feed cannot look ahead for every attribute it will meet). Multi-valued cells use
``|``: images, categories, and tier prices as ``min_quantity:amount``.

Free text from products is neutralised against formula injection; amounts and quantities
the writer formats itself are left alone so negative numbers stay numbers.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from exporters.base import FeedInfo, amount_of, image_list, neutralise, text_of
from pim.records import ChannelVariant

FIXED_COLUMNS = (
    "id",
    "sku",
    "parent_sku",
    "title",
    "description",
    "short_description",
    "brand",
    "gtin",
    "mpn",
    "link",
    "image_link",
    "additional_image_links",
    "price",
    "sale_price",
    "map_price",
    "currency",
    "tier_prices",
    "availability",
    "quantity",
    "categories",
    "weight",
    "weight_unit",
    "condition",
    "enabled",
    "updated_at",
)
# Columns holding numbers the writer formats (typed as numbers in XLSX).
NUMERIC_COLUMNS = frozenset({"price", "sale_price", "map_price", "quantity", "weight"})
_TEXT_FIELDS = ("id", "sku", "parent_sku", "title", "description", "short_description",
                "brand", "gtin", "mpn", "link")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")


def flat_header(feed: FeedInfo) -> list[str]:
    return [*FIXED_COLUMNS, *feed.attribute_codes, "attributes"]


def flat_row(variant: ChannelVariant, feed: FeedInfo) -> list[str]:
    """Cell texts in ``flat_header`` order, safe for a spreadsheet."""
    fields = variant.fields
    get = fields.get
    # The hot path: most product text is a str that starts harmlessly.
    row = [
        v if v.__class__ is str and v[:1] not in _RISKY_START else _text_cell(v)
        for v in map(get, _TEXT_FIELDS)
    ]
    if not row[1]:
        row[1] = neutralise(variant.sku)
    images = image_list(fields)
    row.append(neutralise(images[0]) if images else "")
    row.append(neutralise("|".join(images[1:])) if len(images) > 1 else "")
    price = get("price")
    row.append(_number(amount_of(price)))
    row.append(_number(amount_of(get("sale_price"))))
    row.append(_number(amount_of(get("map_price"))))
    currency = price.get("currency") if isinstance(price, dict) else None
    row.append(_text_cell(currency or feed.currency))
    row.append(_tiers(get("tier_prices")))
    row.append(_text_cell(get("availability")))
    quantity = get("quantity")
    row.append(_number("" if quantity is None else str(quantity)))
    categories = get("categories")
    row.append(_text_cell("|".join(map(text_of, categories))) if categories else "")
    weight = get("weight")
    if isinstance(weight, dict):
        row.append(_number(text_of(weight.get("amount"))))
        row.append(_text_cell(weight.get("unit")))
    else:
        row += ["", ""]
    row.append(_text_cell(get("condition")))
    enabled = get("enabled")
    row.append("" if enabled is None else ("true" if enabled else "false"))
    row.append(_text_cell(get("updated_at")))

    attributes, axes = get("attributes"), get("axes")
    if attributes or axes or feed.attribute_codes:
        named = {**(attributes or {}), **(axes or {})}
        for code in feed.attribute_codes:
            row.append(_text_cell(named.pop(code, None)))
        row.append(neutralise(_json_cell(named)) if named else "")
    else:
        row.append("")
    return row


_RISKY_START = frozenset("=+-@\t\r'")


def _text_cell(value: Any) -> str:
    return neutralise(text_of(value))


def _json_cell(value: dict[str, Any]) -> str:
    try:
        return orjson.dumps(value, default=str).decode()
    except (orjson.JSONEncodeError, TypeError):  # lone surrogates: the tolerant encoder
        return json.dumps(value, default=str, ensure_ascii=False)


def _number(text: str) -> str:
    # A well-formed number is safe as it is (a leading "-" is a sign, not a formula);
    # anything else came from a product unchecked and is treated as text.
    return text if not text or PLAIN_NUMBER.match(text) else neutralise(text)


def _tiers(tiers: Any) -> str:
    if not isinstance(tiers, list):
        return ""
    parts = []
    for tier in tiers:
        if isinstance(tier, dict):
            parts.append(f"{tier.get('min_quantity', 1)}:{tier.get('amount', '')}")
    return neutralise("|".join(parts))
