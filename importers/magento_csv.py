"""Read a Magento 2 catalog product import/export CSV (Magento's sample, its exports, or
``exporters.magento_csv``) back into ProductRecords.

``configurable`` rows become product models (``sku`` as in the file) and every SKU named in
their ``configurable_variations`` gets that model as ``parent``. Magento lists the simple
products before the configurable that links them, so the file is read twice: first for the
configurable rows (held in memory: one small record per model plus the child -> parent map),
then for the rest. Models are yielded first, so parents exist before their variants.
A non-seekable stream is spooled to a temporary file for the second pass.

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

import csv
import shutil
import tempfile
from collections.abc import Iterator
from os import PathLike
from typing import IO, Any

from importers.cells import plain_decimal
from importers.shopify_csv import (
    Source,
    finite_decimal,
    open_csv_text,
    plain_value,
    restore_formula_text,
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
    """Product models (configurable rows) first, then products, each with its row number."""
    with _rereadable(source, encoding) as reopen:
        parents: dict[str, str] = {}
        kept: dict[str, dict[str, list]] = {}  # model -> the values its variants keep
        for row_number, row in _rows(reopen()):
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
        for row_number, row in _rows(reopen()):
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


def _rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    with stream:
        reader = csv.reader(stream)
        header = [name.strip().lstrip("\ufeff").lower() for name in next(reader, [])]
        for row_number, cells in enumerate(reader, start=2):
            if any(cells):
                yield row_number, {
                    name: restore_formula_text(cell.strip())
                    for name, cell in zip(header, cells, strict=False)
                }


class _rereadable:  # noqa: N801 - a context manager used like open()
    """Gives a fresh text stream over the same content each time it is called."""

    def __init__(self, source: Source, encoding: str):
        self.source = source
        self.encoding = encoding
        self.spool: IO[str] | None = None

    def __enter__(self):
        if isinstance(self.source, str | PathLike):
            return lambda: open(self.source, encoding=self.encoding, newline="")  # noqa: SIM115
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")
        with open_csv_text(self.source, self.encoding) as text:
            shutil.copyfileobj(text, self.spool)
        return self._reopen_spool

    def _reopen_spool(self) -> _Unclosed:
        assert self.spool is not None
        self.spool.seek(0)
        return _Unclosed(self.spool)

    def __exit__(self, *exc: Any) -> None:
        if self.spool is not None:
            self.spool.close()


class _Unclosed:
    """Lets ``_rows`` close its stream without closing the spool it reads twice."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def __iter__(self):
        return iter(self.stream)

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


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
