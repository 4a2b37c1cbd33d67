"""Magento 2 catalog product import CSV.

Columns: the 74 of Magento's own sample (``catalog_product.csv``) in its order, then the
columns Magento reads for configurable products and images: ``configurable_variations``,
``configurable_variation_labels``, ``base_image``, ``small_image``, ``thumbnail_image``,
``additional_images``. ``base_image`` is the channel's main rendition; ``small_image`` and
``thumbnail_image`` are the renditions named ``small_image`` and ``thumbnail`` when the
channel declares them (``image_renditions``), else the base image.

Every variant is a ``simple`` row; a variant with a parent is "Not Visible Individually".
After the last variant of a product model comes its ``configurable`` row (Magento wants
the simple products to exist before the configurable that links them), with
``configurable_variations`` = ``sku=A,colour=Black|sku=B,colour=Red`` and
``configurable_variation_labels`` = ``colour=Colour``. Axis values travel in each simple's
``additional_attributes`` (with ``brand``, ``gtin`` and ``mpn``): the store needs attributes
with those codes. A value holding ``,``, ``=``, ``|`` or ``"`` is double-quoted, which Magento
reads with its "Fields enclosure" import option.

Weights are written in kilograms. Grouping relies on the hub delivering a model's variants
consecutively; only the current model's (sku, axes) pairs are held in memory.

A delta starts with one row per withdrawn SKU, and per product model that left the channel
whole (its configurable), holding only ``sku`` and ``product_online`` = 2: Magento's
"Add/Update" import disables the product (a delete is a separate import behaviour Magento
cannot mix with updates in one file).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain
from typing import Any

from exporters.base import (
    FeedInfo,
    amount_of,
    axis_label,
    model_groups,
    neutralise,
    spreadsheet_text,
    text_of,
    url_slug,
)
from exporters.csv_file import write_table_as_csv
from pim.records import ChannelVariant

MEDIA_TYPE = "text/csv; charset=utf-8"
SAMPLE_COLUMNS = (
    "sku", "store_view_code", "attribute_set_code", "product_type", "categories",
    "product_websites", "name", "description", "short_description", "weight",
    "product_online", "tax_class_name", "visibility", "price", "special_price",
    "special_price_from_date", "special_price_to_date", "url_key", "save_rewrites_history",
    "meta_title", "meta_keywords", "meta_description", "created_at", "updated_at",
    "new_from_date", "new_to_date", "display_product_options_in", "map_price", "msrp_price",
    "map_enabled", "gift_message_available", "custom_design", "custom_design_from",
    "custom_design_to", "custom_layout_update", "page_layout", "product_options_container",
    "msrp_display_actual_price_type", "country_of_manufacture", "additional_attributes",
    "qty", "out_of_stock_qty", "use_config_min_qty", "is_qty_decimal", "allow_backorders",
    "use_config_backorders", "min_cart_qty", "use_config_min_sale_qty", "max_cart_qty",
    "use_config_max_sale_qty", "is_in_stock", "notify_on_stock_below",
    "use_config_notify_stock_qty", "manage_stock", "use_config_manage_stock",
    "use_config_qty_increments", "qty_increments", "use_config_enable_qty_inc",
    "enable_qty_increments", "is_decimal_divided", "website_id", "deferred_stock_update",
    "use_config_deferred_stock_update", "related_skus", "crosssell_skus", "upsell_skus",
    "hide_from_product_page", "custom_options", "bundle_price_type", "bundle_sku_type",
    "bundle_price_view", "bundle_weight_type", "bundle_values", "associated_skus",
)
EXTRA_COLUMNS = (
    "configurable_variations", "configurable_variation_labels", "base_image", "small_image",
    "thumbnail_image", "additional_images",
)
COLUMNS = SAMPLE_COLUMNS + EXTRA_COLUMNS
# The columns this writer fills; Magento's other sample columns are always written empty, so
# a row holds only these cells (``write_table_as_csv`` places them).
FILLED_COLUMNS = tuple(name for name in COLUMNS if name in {
    "sku", "attribute_set_code", "product_type", "categories", "product_websites", "name",
    "description", "short_description", "weight", "product_online", "tax_class_name",
    "visibility", "price", "special_price", "url_key", "map_price", "additional_attributes",
    "qty", "allow_backorders", "is_in_stock", "manage_stock", "related_skus", "crosssell_skus",
    "upsell_skus", *EXTRA_COLUMNS,
})
CELL = {name: i for i, name in enumerate(FILLED_COLUMNS)}
ROOT_CATEGORY = "Default Category"
VISIBLE = "Catalog, Search"
NOT_VISIBLE = "Not Visible Individually"
_KILOGRAMS_PER = {"KILOGRAM": Decimal(1), "GRAM": Decimal("0.001"),
                  "MILLIGRAM": Decimal("0.000001"), "POUND": Decimal("0.45359237"),
                  "OUNCE": Decimal("0.028349523125")}
_ASSOCIATION_COLUMNS = {"cross_sell": "crosssell_skus", "upsell": "upsell_skus"}
_IDENTIFIER_FIELDS = ("brand", "gtin", "mpn")


def write_magento_csv(variants: Iterable[ChannelVariant], feed: FeedInfo) -> Iterator[bytes]:
    rows = _rows(variants)
    if feed.delta and feed.withdrawn:
        rows = chain(_disabled_rows(feed), rows)
    return write_table_as_csv(COLUMNS, FILLED_COLUMNS, rows)


def _disabled_rows(feed: FeedInfo) -> Iterator[list[str]]:
    """Withdrawn SKUs, and the configurables of product models that left whole, disabled."""
    skus = list(dict.fromkeys([*feed.withdrawn, *feed.withdrawn_groups]))
    for sku in skus:
        yield list(_template(sku=neutralise(sku), product_online="2"))


def magento_value(text: str) -> str:
    """A value inside ``additional_attributes`` / ``configurable_variations``."""
    if "," in text or "=" in text or '"' in text or "|" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def _template(**cells: str) -> tuple[str, ...]:
    row = [""] * len(FILLED_COLUMNS)
    for name, value in cells.items():
        row[CELL[name]] = value
    return tuple(row)


# A configurable row starts as a copy of this, then takes the first simple product's cells in
# ``_COMMON`` (the product-level ones) and adds the variations.
_CONFIGURABLE_ROW = _template(product_type="configurable", attribute_set_code="Default",
                              product_websites="base", tax_class_name="Taxable Goods",
                              visibility=VISIBLE)
_COMMON = tuple(CELL[name] for name in (
    "categories", "name", "description", "short_description", "product_online", "base_image",
    "small_image", "thumbnail_image", "additional_images"))


def _rows(variants: Iterable[ChannelVariant]) -> Iterator[list[str]]:
    for key, group in model_groups(variants):
        first_row: list[str] | None = None
        members: list[tuple[str, dict[str, Any]]] = []
        for variant in group:
            has_parent = bool(variant.fields.get("parent_sku"))
            row = _simple_row(variant, visible=not has_parent)
            first_row = first_row or row
            yield row
            if has_parent:
                members.append((variant.sku, variant.fields.get("axes") or {}))
        if members and first_row is not None:
            yield _configurable_row(key, first_row, members)


@lru_cache(maxsize=256)
def _category_paths(categories: tuple[Any, ...]) -> str:
    return neutralise(",".join([
        f"{ROOT_CATEGORY}/{text_of(path).replace(' > ', '/')}" for path in categories
    ]))


def _simple_row(variant: ChannelVariant, *, visible: bool) -> list[str]:
    fields = variant.fields
    get = fields.get
    categories = get("categories")
    if categories:
        try:
            categories = _category_paths(tuple(categories))
        except TypeError:  # a path that is not text (unhashable): no cache
            categories = _category_paths.__wrapped__(categories)
    else:
        categories = ""
    image = small_image = thumbnail = more_images = ""
    images = get("images")
    if images:
        images = [neutralise(url) for url in images if isinstance(url, str) and url]
        if images:
            image, more_images = images[0], ",".join(images[1:])
            small_image, thumbnail = _role_images(get("image_renditions"), image)
    axes = get("axes")
    pairs = [
        f"{code}={magento_value(value if value.__class__ is str else text_of(value))}"
        for code, value in axes.items()
    ] if axes else []
    for name in _IDENTIFIER_FIELDS:
        value = get(name)
        if value:
            pairs.append(
                f"{name}={magento_value(value if value.__class__ is str else text_of(value))}")
    quantity = get("quantity")
    has_quantity = isinstance(quantity, int)
    availability = get("availability")
    price, sale_price, map_price = get("price"), get("sale_price"), get("map_price")
    row = [  # in FILLED_COLUMNS order
        neutralise(variant.sku),  # sku
        "Default",  # attribute_set_code
        "simple",  # product_type
        categories,
        "base",  # product_websites
        spreadsheet_text(get("title")),  # name
        spreadsheet_text(get("description")),
        spreadsheet_text(get("short_description")),
        _kilograms(get("weight")),
        "2" if get("enabled") is False else "1",  # product_online
        "Taxable Goods",  # tax_class_name
        VISIBLE if visible else NOT_VISIBLE,
        _amount(amount_of(price)) if price else "",
        _amount(amount_of(sale_price)) if sale_price else "",  # special_price
        url_slug(variant.sku),  # url_key
        _amount(amount_of(map_price)) if map_price else "",
        neutralise(",".join(pairs)),  # additional_attributes
        str(quantity) if has_quantity else "",  # qty
        ("1" if availability == "backorder" else "0") if availability else "",  # allow_backorders
        ("0" if availability == "out_of_stock" else "1") if availability else "",  # is_in_stock
        "1" if has_quantity else "",  # manage_stock
        "", "", "",  # related_skus, crosssell_skus, upsell_skus
        "", "",  # configurable_variations, configurable_variation_labels
        image, small_image, thumbnail, more_images,  # base, small, thumbnail, additional
    ]
    associations = get("associations")
    if associations:
        _association_columns(row, associations)
    return row


def _configurable_row(parent_sku: str, first_row: list[str],
                      members: list[tuple[str, dict[str, Any]]]) -> list[str]:
    row = list(_CONFIGURABLE_ROW)
    row[0] = neutralise(parent_sku)
    for i in _COMMON:
        row[i] = first_row[i]
    row[CELL["url_key"]] = url_slug(parent_sku)
    # Code order, not the order of the variants' axes: snapshots stored as PostgreSQL JSONB
    # come back with their keys reordered, and the file must not depend on the engine.
    codes = sorted({code for _, axes in members for code in axes})
    variations = []
    for sku, axes in members:
        pairs = [f"sku={magento_value(sku)}"]
        pairs += [f"{code}={magento_value(text_of(axes[code]))}" for code in codes if code in axes]
        variations.append(",".join(pairs))
    row[CELL["configurable_variations"]] = neutralise("|".join(variations))
    row[CELL["configurable_variation_labels"]] = _variation_labels(tuple(codes))
    return row


@lru_cache(maxsize=256)
def _variation_labels(codes: tuple[str, ...]) -> str:
    return neutralise(",".join([f"{code}={magento_value(axis_label(code))}" for code in codes]))


def _role_images(renditions: Any, image: str) -> tuple[str, str]:
    """small_image and thumbnail_image: the main image's renditions of those names when the
    channel declares them (``small_image``, ``thumbnail``), else the base image."""
    main = renditions[0] if isinstance(renditions, list) and renditions else {}
    if not isinstance(main, dict):
        return image, image

    def url(name: str) -> str:
        found = main.get(name)
        link = found.get("url") if isinstance(found, dict) else None
        return neutralise(link) if isinstance(link, str) and link else image

    return url("small_image"), url("thumbnail")


def _association_columns(row: list[str], associations: Any) -> None:
    if not isinstance(associations, dict):
        return
    by_column: dict[str, list[str]] = {}
    for kind, links in associations.items():
        column = _ASSOCIATION_COLUMNS.get(kind, "related_skus")
        for link in links or ():
            sku = link.get("sku") if isinstance(link, dict) else link
            if sku:
                by_column.setdefault(column, []).append(text_of(sku))
    for column, skus in by_column.items():
        row[CELL[column]] = neutralise(",".join(skus))


def _kilograms(weight: Any) -> str:
    if not isinstance(weight, dict):
        return ""
    return _kilograms_of(str(weight.get("amount")), str(weight.get("unit") or "KILOGRAM"))


# Weights, prices and axis sets repeat across a catalog; small caches skip recomputing them.
@lru_cache(maxsize=1024)
def _kilograms_of(amount_text: str, unit: str) -> str:
    factor = _KILOGRAMS_PER.get(unit.upper())
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        return ""
    if factor is None or not amount.is_finite():
        return ""
    return format((amount * factor).normalize(), "f")


@lru_cache(maxsize=1024)
def _amount(text: str) -> str:
    try:
        return format(Decimal(text), "f") if text else ""
    except InvalidOperation:
        return neutralise(text)
