"""Google Merchant Center product feeds: RSS 2.0 with the ``g:`` namespace, and TSV.

Attribute names and value formats follow Google's product data specification: price as
"12.50 GBP", availability as in_stock / out_of_stock / preorder / backorder, up to 10
additional_image_link, item_group_id for variants, identifier_exists=no when a product has
neither GTIN nor MPN. Descriptions are plain text (the stored HTML's text, a line per
paragraph or list item) unless the channel keeps HTML (``FeedInfo.html_descriptions``). Length limits (title 150, description 5000) are the channel schema's
job upstream; the writers only guarantee that any text stays inside its element or cell.

A full feed lists what is published (Google drops an item missing from the next full
fetch). A delta is for a supplemental feed: it lists what changed and, first, one item per
withdrawn SKU with only ``id``, ``availability`` = ``out_of_stock`` and one
``excluded_destination`` per destination Google has (``WITHDRAWN_DESTINATIONS``), which takes
the item out of every listing while its primary feed still names it. A TSV delta has the
``excluded_destination`` column (destinations separated by commas); a full TSV does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from exporters.base import (
    ChunkedOutput,
    FeedInfo,
    image_list,
    neutralise,
    plain_text,
    text_of,
    xml_text,
)
from exporters.csv_file import write_rows_as_tsv
from exporters.flat_rows import PLAIN_NUMBER
from pim.records import ChannelVariant

RSS_MEDIA_TYPE = "application/rss+xml"
TSV_MEDIA_TYPE = "text/tab-separated-values; charset=utf-8"
G_NAMESPACE = "http://base.google.com/ns/1.0"
AVAILABILITY = frozenset({"in_stock", "out_of_stock", "preorder", "backorder"})
MAX_ADDITIONAL_IMAGES = 10
MAX_PRODUCT_TYPES = 5
_CURRENCY = re.compile(r"[A-Z]{3}\Z")
_WEIGHT_UNITS = {"KILOGRAM": "kg", "GRAM": "g", "POUND": "lb", "OUNCE": "oz",
                 "kg": "kg", "g": "g", "lb": "lb", "oz": "oz"}
# Optional Google attributes taken from a variant's axes or attributes when present.
_PASS_THROUGH = ("gender", "age_group", "material", "pattern", "google_product_category")

# Values this module formats itself from checked numbers and enumerations: no formula risk,
# and "-1.00 GBP" must stay a (negative) price.
_WRITER_FORMATTED = frozenset(
    {"price", "sale_price", "shipping_weight", "availability", "identifier_exists",
     "excluded_destination"}
)
_REPEATED = frozenset({"additional_image_link", "excluded_destination"})

# Every destination an item can be excluded from (Google's product data specification).
WITHDRAWN_DESTINATIONS = ("Shopping_ads", "Display_ads", "Local_inventory_ads", "Free_listings",
                          "Free_local_listings")

TSV_COLUMNS = (
    "id", "title", "description", "link", "image_link", "additional_image_link",
    "availability", "price", "sale_price", "brand", "gtin", "mpn", "identifier_exists",
    "condition", "item_group_id", "product_type", "color", "size", *_PASS_THROUGH,
    "shipping_weight",
)


def merchant_attributes(variant: ChannelVariant, *, html_descriptions: bool = False
                        ) -> list[tuple[str, str]]:
    """Google attribute (name, value) pairs of one item, repeated names for lists."""
    fields = variant.fields
    get = fields.get
    pairs: list[tuple[str, str]] = [("id", text_of(get("id") or variant.sku))]
    if get("title"):
        pairs.append(("title", text_of(get("title"))))
    description = get("description")
    if description:
        description = text_of(description)
        if not html_descriptions:
            description = plain_text(description)
        if description:
            pairs.append(("description", description))
    if get("link"):
        pairs.append(("link", text_of(get("link"))))
    images = image_list(fields)
    if images:
        pairs.append(("image_link", images[0]))
        for image in images[1 : 1 + MAX_ADDITIONAL_IMAGES]:
            pairs.append(("additional_image_link", image))
    availability = get("availability")
    if availability in AVAILABILITY:
        pairs.append(("availability", availability))
    for name in ("price", "sale_price"):
        money = _money(get(name))
        if money:
            pairs.append((name, money))
    gtin, mpn = text_of(get("gtin")), text_of(get("mpn"))
    if get("brand"):
        pairs.append(("brand", text_of(get("brand"))))
    if gtin:
        pairs.append(("gtin", gtin))
    if mpn:
        pairs.append(("mpn", mpn))
    if not gtin and not mpn:
        pairs.append(("identifier_exists", "no"))
    if get("condition"):
        pairs.append(("condition", text_of(get("condition"))))
    if get("parent_sku"):
        pairs.append(("item_group_id", text_of(get("parent_sku"))))
    for category in (get("categories") or ())[:MAX_PRODUCT_TYPES]:
        pairs.append(("product_type", text_of(category)))
    named = {**(get("attributes") or {}), **(get("axes") or {})}
    colour, size = _colour_and_size(named)
    if colour:
        pairs.append(("color", colour))
    if size:
        pairs.append(("size", size))
    for name in _PASS_THROUGH:
        if named.get(name):
            pairs.append((name, text_of(named[name])))
    weight = _weight(get("weight"))
    if weight:
        pairs.append(("shipping_weight", weight))
    return pairs


def withdrawn_attributes(sku: str) -> list[tuple[str, str]]:
    """The item of a withdrawn SKU in a delta: out of stock and out of every destination."""
    return [("id", sku), ("availability", "out_of_stock"),
            *(("excluded_destination", name) for name in WITHDRAWN_DESTINATIONS)]


def _withdrawn_items(feed: FeedInfo) -> list[list[tuple[str, str]]]:
    return [withdrawn_attributes(sku) for sku in feed.withdrawn] if feed.delta else []


def write_google_rss(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    out = ChunkedOutput()
    title = feed.channel_label or feed.channel
    out.add(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<rss version="2.0" xmlns:g="{G_NAMESPACE}"><channel>'
        f"<title>{xml_text(title)}</title>"
        f"<link>{xml_text(feed.base_url)}</link>"
        f"<description>{xml_text(f'{title} products ({feed.locale}, {feed.currency})')}"
        "</description>\n"
    )
    add = out.add
    for pairs in _withdrawn_items(feed):
        add("<item>" + "".join(f"<g:{name}>{xml_text(value)}</g:{name}>"
                               for name, value in pairs) + "</item>\n")
    html = feed.html_descriptions
    for variant in variants:
        parts = ["<item>"]
        for name, value in merchant_attributes(variant, html_descriptions=html):
            parts.append(f"<g:{name}>{xml_text(value)}</g:{name}>")
        parts.append("</item>\n")
        chunk = add("".join(parts))
        if chunk:
            yield chunk
    out.add("</channel></rss>\n")
    yield out.flush()


def write_google_tsv(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    columns = (*TSV_COLUMNS, "excluded_destination") if feed.delta else TSV_COLUMNS
    index = {name: i for i, name in enumerate(columns)}

    def row_of(pairs: list[tuple[str, str]]) -> list[str]:
        row = [""] * len(columns)
        for name, value in pairs:
            i = index[name]
            cell = value if name in _WRITER_FORMATTED else _tsv_cell(value)
            # Google reads repeated attributes in a text feed as a comma-separated list.
            row[i] = f"{row[i]},{cell}" if row[i] and name in _REPEATED else (row[i] or cell)
        return row

    def rows():
        yield list(columns)
        for pairs in _withdrawn_items(feed):
            yield row_of(pairs)
        html = feed.html_descriptions
        for variant in variants:
            yield row_of(merchant_attributes(variant, html_descriptions=html))

    # Cells never contain tabs or line breaks (_tsv_cell), so nothing needs quoting and
    # quotes stay literal: read the same whether or not the data source has "quoted fields".
    return write_rows_as_tsv(rows())


_TSV_UNSAFE = re.compile("[\x00-\x1f]")  # tab, line breaks and the other C0 controls
_TSV_SPACE = re.compile("\r\n|[\t\n\r]")


def _tsv_cell(value: str) -> str:
    # Values are refused with control characters since validation checks them; this
    # keeps a cell on its line (and free of them) for text stored before.
    if _TSV_UNSAFE.search(value):
        value = _TSV_UNSAFE.sub("", _TSV_SPACE.sub(" ", value))
    return neutralise(value)


def _money(price: Any) -> str:
    """ "12.50 GBP"; "" unless the amount is a plain number and the currency a code."""
    if not isinstance(price, dict):
        return ""
    amount, currency = str(price.get("amount", "")), str(price.get("currency") or "")
    if PLAIN_NUMBER.match(amount) and _CURRENCY.match(currency):
        return f"{amount} {currency}"
    return ""


def _weight(weight: Any) -> str:
    if isinstance(weight, dict) and PLAIN_NUMBER.match(str(weight.get("amount", ""))):
        unit = _WEIGHT_UNITS.get(str(weight.get("unit")))
        if unit:
            return f"{weight['amount']} {unit}"
    return ""


def _colour_and_size(named: dict[str, Any]) -> tuple[str, str]:
    colour = size = ""
    for code, value in named.items():
        if not value:
            continue
        if not colour and (code in ("color", "colour") or code.endswith(("_color", "_colour"))):
            colour = text_of(value)
        elif not size and (code == "size" or code.endswith("_size")):
            size = text_of(value)
    return colour, size
