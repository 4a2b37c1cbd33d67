"""Read a Magento 2 catalog product import/export CSV (Magento's sample, its exports, or
``exporters.magento_csv``) back into ProductRecords.

``configurable`` rows become product models (``sku`` as in the file) and every SKU named in
their ``configurable_variations`` gets that model as ``parent``. Magento lists the simple
products before the configurable that links them, so the file is read twice: first for the
configurable rows (held in memory: one small record per model plus the child -> parent map),
then for the rest. Models are yielded first, so parents exist before their variants.
A stream is spooled to a temporary file (``csv_rows_of``) and read twice from it.

Value codes (attribute codes the hub's catalog is expected to have):

==================  ===========================================================================
name                ``name`` (localised when ``locale`` is given)
description         ``description`` (localised when ``locale`` is given)
short_description   ``short_description`` (localised when ``locale`` is given)
price               ``[{"amount", "currency"}]`` from ``price``
sale_price          same shape, from ``special_price``
map_price           same shape, from ``map_price``
weight              ``{"amount", "unit": "KILOGRAM"}`` (Magento stores kilograms or pounds as
                    configured; kilograms assumed)
image               ``base_image``
additional_images   list of URLs or paths from ``additional_images``
<code>              every ``additional_attributes`` pair (brand, gtin, mpn, axis values such as
                    color=Red), except Magento's own bookkeeping codes
==================  ===========================================================================

A simple product of a configurable keeps the configurable's name, brand, description and
short description where its own row leaves them empty. ``product_online`` gives ``enabled``; ``qty`` the stock at ``stock_source``; ``related_skus``,
``crosssell_skus``, ``upsell_skus`` and a grouped product's ``associated_skus`` (sku=qty) the
associations ``related``, ``cross_sell``, ``upsell`` and ``pack``. Rows of a store view
(``store_view_code`` set) are skipped with a warning: they hold translations for a store,
which only a mapping to locales could place.
"""

from __future__ import annotations

from collections.abc import Iterator

from importers.cells import plain_decimal
from importers.csv_file import CsvRows, csv_rows_of
from importers.shopify_csv import (
    Source,
    finite_decimal,
    plain_value,
    restore_formula_text,
    unreadable_row,
)
from pim.records import AssociationLink, ProductRecord, RowError

# additional_attributes codes that are Magento's bookkeeping, not product data.
SYSTEM_ATTRIBUTES = frozenset({
    "has_options", "required_options", "quantity_and_stock_status", "shipment_type",
    "options_container", "gift_message_available",
})
# Values of a configurable its simple products keep when their own row leaves them empty.
VARIANT_KEEPS = ("name", "brand", "description", "short_description")
_ASSOCIATION_COLUMNS = (("related_skus", "related"), ("crosssell_skus", "cross_sell"),
                        ("upsell_skus", "upsell"))


def read_magento_csv(
    source: Source,
    *,
    currency: str = "USD",
    locale: str | None = None,
    stock_source: str = "magento",
    encoding: str = "utf-8-sig",
) -> Iterator[ProductRecord | RowError]:
    """Product models (configurable rows) first, then products, each with its row number.

    Read through ``csv_rows_of`` as every CSV the hub imports (see ``read_shopify_csv``);
    a row refused there is reported once, in the second pass."""
    with csv_rows_of(source, encoding=encoding, delimiter=",") as csv_rows:
        parents: dict[str, str] = {}
        kept: dict[str, dict[str, list]] = {}  # model -> the values its variants keep
        for row_number, row in _rows(csv_rows):
            if isinstance(row, RowError):
                continue
            if row.get("product_type") == "configurable" and not row.get("store_view_code"):
                record = _record(row, row_number, currency, locale, stock_source)
                record.kind = "product_model"
                for variation in split_outside_quotes(row.get("configurable_variations", ""),
                                                      "|"):
                    child = parse_pairs(variation).get("sku")
                    if child:
                        parents[child] = record.sku
                kept[record.sku] = {code: record.values[code] for code in VARIANT_KEEPS
                                    if code in record.values}
                yield record
        for row_number, row in _rows(csv_rows):
            if isinstance(row, RowError):
                yield row
                continue
            sku = row.get("sku", "")
            if not sku:
                yield RowError(row_number, "row without a sku", column="sku")
            elif row.get("store_view_code"):
                yield RowError(row_number, "store view row skipped (translations per store "
                               "view are not read)", column="store_view_code",
                               value=row["store_view_code"], sku=sku, severity="warning")
            elif row.get("product_type") != "configurable":
                record = _record(row, row_number, currency, locale, stock_source)
                record.parent = parents.get(sku)
                for code, entries in kept.get(record.parent or "", {}).items():
                    record.values.setdefault(code, entries)  # what the simple row left empty
                yield record


def split_outside_quotes(text: str, separator: str) -> list[str]:
    """Split on ``separator`` except inside double quotes (Magento's "fields enclosure")."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if current or parts:
        parts.append("".join(current))
    return [part for part in parts if part.strip()]


def parse_pairs(text: str) -> dict[str, str]:
    """``code=value,code="va,lue"`` -> ``{code: value}``; quotes doubled inside quotes."""
    pairs = {}
    for part in split_outside_quotes(text, ","):
        code, sep, value = part.partition("=")
        if not sep:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('""', '"')
        pairs[code.strip()] = value
    return pairs


def _rows(csv_rows: CsvRows) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    """One pass over the file: each row by its column names, or the RowError refusing it."""
    rows = iter(csv_rows)
    _, cells = next(rows, (1, []))
    header = [name.strip().lstrip("\ufeff").lower() for name in cells]
    csv_rows.width = len(header)
    for row_number, cells in rows:
        refusal = unreadable_row(row_number, cells, len(header))
        if refusal is not None:
            yield row_number, refusal
        elif any(cells):
            yield row_number, {
                name: restore_formula_text(cell.strip())
                for name, cell in zip(header, cells, strict=False)
            }


def _record(row: dict[str, str], row_number: int, currency: str, locale: str | None,
            stock_source: str) -> ProductRecord:
    values: dict[str, list] = {}
    for code in ("name", "description", "short_description"):
        if row.get(code):
            values[code] = [{"locale": locale, "scope": None, "data": row[code]}]
    for code, column in (("price", "price"), ("sale_price", "special_price"),
                         ("map_price", "map_price")):
        amount = finite_decimal(row.get(column, ""))
        if amount is not None:
            values[code] = [plain_value([{"amount": plain_decimal(amount), "currency": currency}])]
    weight = finite_decimal(row.get("weight", ""))
    if weight is not None:
        values["weight"] = [plain_value({"amount": plain_decimal(weight), "unit": "KILOGRAM"})]
    if row.get("base_image"):
        values["image"] = [plain_value(row["base_image"])]
    additional = [image for image in row.get("additional_images", "").split(",") if image]
    if additional:
        values["additional_images"] = [plain_value(additional)]
    for code, value in parse_pairs(row.get("additional_attributes", "")).items():
        if code not in SYSTEM_ATTRIBUTES and code not in values and value:
            values[code] = [plain_value(value)]
    online = row.get("product_online", "")
    quantity = finite_decimal(row.get("qty", ""))
    return ProductRecord(
        sku=row["sku"],
        enabled=None if not online else online == "1",
        values=values,
        associations=_associations(row),
        stock={stock_source: quantity} if quantity is not None else None,
        row=row_number,
    )


def _associations(row: dict[str, str]) -> dict[str, list[AssociationLink]] | None:
    associations: dict[str, list[AssociationLink]] = {}
    for column, kind in _ASSOCIATION_COLUMNS:
        skus = [sku.strip() for sku in row.get(column, "").split(",") if sku.strip()]
        if skus:
            associations[kind] = [AssociationLink(sku) for sku in skus]
    pack = []
    for part in row.get("associated_skus", "").split(","):
        sku, _, quantity = part.partition("=")
        if sku.strip():
            amount = finite_decimal(quantity.strip())
            pack.append(AssociationLink(sku.strip(), int(amount) if amount is not None else None))
    if pack:
        associations["pack"] = pack
    return associations or None
