"""Akeneo's product and product model NDJSON: the catalog's published products as Akeneo's
API and its NDJSON imports write them, so a migration back to Akeneo, or a consumer built for
Akeneo, reads the hub.

Unlike the other formats this one writes product records, not channel projections: the
values the products had when they were published (``ExportFormat.reads == "records"``).
One JSON object per line, product models first (a parent before its children):

- a product model: ``{"code", "family", "family_variant", "parent", "categories",
  "values", "associations"}``;
- a product: ``{"identifier", "family", "parent", "groups", "categories", "enabled",
  "values", "associations", "quantified_associations"}``.

``values`` as Akeneo has them, ``{attribute: [{"locale", "scope", "data"}]}``, kept to the
channel's locales (or none) and scope (the channel's code, or none): prices as a list of
``{"amount", "currency"}`` (amounts as text, "12.50"), measurements as ``{"amount", "unit"}``
and numbers as integers when they have no decimals ("12.5" stays text, as Akeneo writes
decimals). Associations: ``{type: {"products": [...], "product_models": [], "groups": []}}``,
those with quantities under ``quantified_associations`` as ``{"identifier", "quantity"}``.

A delta starts with ``{"identifier": sku, "enabled": false}`` per withdrawn SKU: Akeneo's
imports update, they never delete, so a withdrawn product is disabled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from exporters.base import CHUNK_SIZE, FeedInfo
from exporters.ndjson import json_line
from pim.records import CatalogContext, ProductRecord

MEDIA_TYPE = "application/x-ndjson"
_WHOLE_NUMBER = re.compile(r"-?\d+(\.0*)?\Z")


def write_akeneo(records: Iterable[ProductRecord], feed: FeedInfo) -> Iterator[bytes]:
    pieces: list[bytes] = []
    size = 0
    if feed.delta:
        pieces += [json_line({"identifier": sku, "enabled": False}) for sku in feed.withdrawn]
    shape = _ValueShape(feed.catalog or CatalogContext(), feed.locales or (feed.locale,),
                        feed.channel)
    for record in records:
        line = json_line(model_object(record, shape) if record.kind == "product_model"
                     else product_object(record, shape))
        pieces.append(line)
        size += len(line)
        if size >= CHUNK_SIZE:
            yield b"".join(pieces)
            pieces.clear()
            size = 0
    if pieces:
        yield b"".join(pieces)


def product_object(record: ProductRecord, shape: _ValueShape) -> dict[str, Any]:
    associations, quantified = _associations(record)
    return {
        "identifier": record.sku,
        "family": record.family,
        "parent": record.parent,
        "groups": [],
        "categories": sorted(record.categories or []),
        "enabled": record.enabled is not False,
        "values": shape.values(record.values),
        "associations": associations,
        "quantified_associations": quantified,
    }


def model_object(record: ProductRecord, shape: _ValueShape) -> dict[str, Any]:
    associations, _ = _associations(record)
    return {
        "code": record.sku,
        "family": record.family,
        "family_variant": record.family_variant,
        "parent": record.parent,
        "categories": sorted(record.categories or []),
        "values": shape.values(record.values),
        "associations": associations,
    }


class _ValueShape:
    """Values kept to a channel and written in Akeneo's data shapes."""

    def __init__(self, context: CatalogContext, locales: tuple[str, ...], channel: str):
        self.attributes = context.attributes
        self.locales = frozenset(locales)
        self.channel = channel

    def values(self, values: dict[str, list[dict[str, Any]]]) -> dict[str, list]:
        shaped = {}
        for code in sorted(values):
            spec = self.attributes.get(code)
            kind = spec.type if spec is not None else None
            entries = [
                {"locale": entry.get("locale"), "scope": entry.get("scope"),
                 "data": _data(kind, entry.get("data"))}
                for entry in values[code]
                if (entry.get("locale") is None or entry["locale"] in self.locales)
                and (entry.get("scope") is None or entry["scope"] == self.channel)
            ]
            if entries:
                shaped[code] = entries
        return shaped


def _data(kind: str | None, data: Any) -> Any:
    if kind == "number":
        return _number(data)
    if kind == "measurement" and isinstance(data, dict):
        return {"amount": _number(data.get("amount")), "unit": data.get("unit")}
    if kind == "price" and isinstance(data, list):
        return [{"amount": str(price.get("amount")), "currency": price.get("currency")}
                for price in data if isinstance(price, dict)]
    return data


def _number(value: Any) -> Any:
    """An integer when the number has no decimals, else its text ("12.5")."""
    text = str(value)
    if _WHOLE_NUMBER.match(text):
        return int(text.split(".")[0])
    return text


def _associations(record: ProductRecord) -> tuple[dict[str, Any], dict[str, Any]]:
    plain: dict[str, Any] = {}
    quantified: dict[str, Any] = {}
    for kind, links in sorted((record.associations or {}).items()):
        counted = [link for link in links if link.quantity is not None]
        if counted:
            quantified[kind] = {"products": [{"identifier": link.sku, "quantity": link.quantity}
                                             for link in counted], "product_models": []}
        others = [link.sku for link in links if link.quantity is None]
        if others or not counted:
            plain[kind] = {"products": others, "product_models": [], "groups": []}
    return plain, quantified
