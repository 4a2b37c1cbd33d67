"""The flat, one-row-per-variant layout shared by the generic CSV and XLSX feeds.

Fixed columns for the canonical fields, then one column per ``FeedInfo.attribute_codes``
entry (filled from axes or attributes), then ``attributes``: a JSON object of any axis or
attribute without a column of its own (a header must be written before the first row, and a
streamed feed cannot look ahead for every attribute it will meet). Multi-valued cells use
``|``: images, categories, and tier prices as ``min_quantity:amount``.

A delta adds a last column, ``deleted``: ``true`` on the row of each withdrawn SKU (which
comes first and carries only ``id`` and ``sku``), empty on the others.

Free text from products is neutralised against formula injection; amounts and quantities
the writer formats itself are left alone so negative numbers stay numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from itertools import repeat
from typing import Any

import orjson

from exporters.base import FeedInfo, neutralise, spreadsheet_text, text_of
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
# Free-text fields, in the order flat_row unpacks them.
_TEXT_FIELDS = ("id", "sku", "parent_sku", "title", "description", "short_description",
                "brand", "gtin", "mpn", "link", "availability", "condition", "updated_at")
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")


def flat_header(feed: FeedInfo) -> list[str]:
    """The columns; a delta adds ``deleted`` last."""
    header = [*FIXED_COLUMNS, *feed.attribute_codes, "attributes"]
    return [*header, "deleted"] if feed.delta else header


def flat_rows(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[list[str]]:
    """The rows below the header: in a delta, first one row per withdrawn SKU (``id``,
    ``sku`` and ``deleted`` = ``true``, every other cell empty), so a consumer applying rows
    in order ends right even for a SKU withdrawn and then published again; then a row per
    variant (``deleted`` empty)."""
    if feed.delta and feed.withdrawn:
        width = len(FIXED_COLUMNS) + len(feed.attribute_codes) + 1
        for sku in feed.withdrawn:
            text = neutralise(sku)
            yield [text, text, *[""] * (width - 2), "true"]
    yield from map(flat_row, variants, repeat(feed))


def flat_row(variant: ChannelVariant, feed: FeedInfo) -> list[str]:
    """Cell texts in ``flat_header`` order, safe for a spreadsheet."""
    fields = variant.fields
    get = fields.get
    risky = _RISKY_START
    # The hot path, written out inline: most product text is a str that starts harmlessly
    # (neutralise would hand it back as it is), so it goes into the row untouched.
    (id_, sku, parent_sku, title, description, short_description, brand, gtin, mpn, link,
     availability, condition, updated_at) = [
        v if v.__class__ is str and v[:1] not in risky else spreadsheet_text(v)
        for v in map(get, _TEXT_FIELDS)
    ]
    if not sku:
        sku = neutralise(variant.sku)
    image = more_images = ""
    images = get("images")
    if images:
        images = [url for url in images if isinstance(url, str) and url]
        if images:
            image = images[0]
            if image[:1] in risky:
                image = neutralise(image)
            more_images = "|".join(images[1:])
            if more_images[:1] in risky:
                more_images = neutralise(more_images)
    price = get("price")
    currency = (price.get("currency") if isinstance(price, dict) else None) or feed.currency
    if currency.__class__ is not str or currency[:1] in risky:
        currency = spreadsheet_text(currency)
    tiers = get("tier_prices")
    quantity = get("quantity")
    if quantity is None:
        quantity = ""
    else:
        quantity = str(quantity)
        if quantity[:1] in risky:
            quantity = _number(quantity)
    categories = get("categories")
    if categories:
        try:
            categories = "|".join(categories)
        except TypeError:  # not all text
            categories = "|".join(map(text_of, categories))
        if categories[:1] in risky:
            categories = neutralise(categories)
    else:
        categories = ""
    weight = get("weight")
    if isinstance(weight, dict):
        amount, unit = weight.get("amount"), weight.get("unit")
        weight = text_of(amount)
        if weight[:1] in risky:
            weight = _number(weight)
        unit = unit if unit.__class__ is str and unit[:1] not in risky else spreadsheet_text(unit)
    else:
        weight = unit = ""
    enabled = get("enabled")
    row = [
        id_, sku, parent_sku, title, description, short_description, brand, gtin, mpn, link,
        image, more_images,
        _amount_cell(price), _amount_cell(get("sale_price")), _amount_cell(get("map_price")),
        currency, _tiers(tiers) if tiers else "", availability, quantity, categories,
        weight, unit, condition,
        "" if enabled is None else ("true" if enabled else "false"),
        updated_at,
    ]
    attributes, axes = get("attributes"), get("axes")
    if attributes or axes or feed.attribute_codes:
        named = {**(attributes or {}), **(axes or {})}
        for code in feed.attribute_codes:
            row.append(spreadsheet_text(named.pop(code, None)))
        row.append(neutralise(_json_cell(named)) if named else "")
    else:
        row.append("")
    if feed.delta:
        row.append("")  # deleted
    return row


def _amount_cell(price: Any) -> str:
    """``_number(amount_of(price))``, with the common case (a harmless start) made quick."""
    if not isinstance(price, dict):
        return ""
    amount = price.get("amount")
    if amount is None:
        return ""
    text = amount if amount.__class__ is str else str(amount)
    return text if text[:1] not in _RISKY_START else _number(text)


_RISKY_START = frozenset("=+-@\t\r'")


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
