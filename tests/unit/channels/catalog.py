"""A small demo catalog in the codes the presets expect, and product factories.

Attributes: name, description, short_description, brand, ean, mpn, price, sale_price,
map_price, image, colour, size, weight, material, condition. Category trees ``master``
(storefront) and ``b2b`` (spare parts). Families apparel (variants: colour, then size),
electronics, spare_parts. Stock sources warehouse_uk, warehouse_de, dropship.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pim.records import (
    AssociationLink,
    AttributeSpec,
    CatalogContext,
    CategorySpec,
    FamilySpec,
    FamilyVariantSpec,
    ProductRecord,
)

ATTRIBUTES = [
    AttributeSpec("name", "text", localizable=True, labels={"en_GB": "Name"}),
    AttributeSpec("description", "textarea", localizable=True),
    AttributeSpec("short_description", "textarea", localizable=True, scopable=True),
    AttributeSpec("brand", "text"),
    AttributeSpec("ean", "identifier"),
    AttributeSpec("mpn", "identifier"),
    AttributeSpec("price", "price"),
    AttributeSpec("sale_price", "price"),
    AttributeSpec("map_price", "price"),
    AttributeSpec("image", "media"),
    AttributeSpec(
        "colour",
        "select",
        options={
            "red": {"en_GB": "Red", "de_DE": "Rot"},
            "blue": {"en_GB": "Blue", "de_DE": "Blau"},
        },
    ),
    AttributeSpec(
        "size",
        "select",
        options={"s": {"en_GB": "Small"}, "m": {"en_GB": "Medium"}, "l": {"en_GB": "Large"}},
    ),
    AttributeSpec("weight", "measurement", unit_family="weight", default_unit="KILOGRAM"),
    AttributeSpec("material", "text", localizable=True),
    AttributeSpec(
        "condition",
        "select",
        options={"new": {"en_GB": "New"}, "refurbished": {"en_GB": "Refurbished"}},
    ),
    AttributeSpec("voltage", "number"),
]

CATEGORIES = [
    CategorySpec("master", None, {"en_GB": "Shop", "de_DE": "Shop"}),
    CategorySpec("clothing", "master", {"en_GB": "Clothing", "de_DE": "Kleidung"}),
    CategorySpec("shirts", "clothing", {"en_GB": "Shirts", "de_DE": "Hemden"}),
    CategorySpec("audio", "master", {"en_GB": "Audio"}),
    CategorySpec("b2b", None, {"en_GB": "Spare parts", "de_DE": "Ersatzteile"}),
    CategorySpec("motors", "b2b", {"en_GB": "Motors", "de_DE": "Motoren"}),
]


def demo_context() -> CatalogContext:
    return CatalogContext(
        attributes={a.code: a for a in ATTRIBUTES},
        categories={c.code: c for c in CATEGORIES},
        families={
            "apparel": FamilySpec(
                "apparel",
                ["name", "description", "brand", "ean", "price", "image", "colour", "size"],
                requirements={"webshop-uk": ["name", "price", "material"]},
            ),
            "electronics": FamilySpec("electronics", ["name", "description", "brand", "ean"]),
            "spare_parts": FamilySpec("spare_parts", ["name", "mpn", "brand", "price"]),
        },
        family_variants={
            "apparel_colour_size": FamilyVariantSpec(
                "apparel_colour_size", "apparel", axes=[["colour"], ["size"]]
            ),
            "apparel_size": FamilyVariantSpec("apparel_size", "apparel", axes=[["size"]]),
        },
        locales=["en_GB", "en_IE", "de_DE"],
        currencies=["GBP", "EUR"],
    )


def value(data: Any, locale: str | None = None, scope: str | None = None) -> dict[str, Any]:
    return {"locale": locale, "scope": scope, "data": data}


def prices(*entries: tuple[str, str] | tuple[str, str, int]) -> list[dict[str, Any]]:
    out = []
    for entry in entries:
        item: dict[str, Any] = {"amount": entry[0], "currency": entry[1]}
        if len(entry) == 3:
            item["min_quantity"] = entry[2]
        out.append(item)
    return out


def electronics_product(sku: str = "HEAD-1", **overrides: Any) -> ProductRecord:
    """A complete electronics product for the UK storefronts and Google."""
    values = {
        "name": [value("Studio headphones", "en_GB"), value("Studiokopfhörer", "de_DE")],
        "description": [value("<p>Closed-back studio headphones.</p>", "en_GB")],
        "brand": [value("Acme")],
        "ean": [value("5012345678900")],
        "mpn": [value("AC-HP-1")],
        "price": [value(prices(("79.00", "GBP"), ("89.00", "EUR")))],
        "image": [value("products/head-1/main.jpg")],
        "weight": [value({"amount": "0.35", "unit": "KILOGRAM"})],
        "condition": [value("new")],
    }
    values.update(overrides.pop("values", {}))
    fields: dict[str, Any] = {
        "family": "electronics",
        "categories": ["audio"],
        "enabled": True,
        "stock": {"warehouse_uk": Decimal(4), "warehouse_de": Decimal(0)},
    }
    fields.update(overrides)
    return ProductRecord(sku=sku, values=values, **fields)


def apparel_chain() -> tuple[ProductRecord, list[ProductRecord]]:
    """A shirt variant (size M) under a colour sub-model (red) under a root model."""
    root = ProductRecord(
        sku="SHIRT",
        kind="product_model",
        family="apparel",
        family_variant="apparel_colour_size",
        categories=["shirts"],
        values={
            "name": [value("Oxford shirt", "en_GB"), value("Oxford-Hemd", "de_DE")],
            "description": [value("<p>Cotton Oxford shirt.</p>", "en_GB")],
            "brand": [value("Tailor & Co")],
            "material": [value("Cotton", "en_GB")],
            "price": [value(prices(("45.00", "GBP"), ("52.00", "EUR")))],
            "image": [value("products/shirt/main.jpg")],
        },
        associations={"cross_sell": [AssociationLink("TIE-1")]},
    )
    red = ProductRecord(
        sku="SHIRT-RED",
        kind="product_model",
        parent="SHIRT",
        family="apparel",
        family_variant="apparel_colour_size",
        values={
            "colour": [value("red")],
            "image": [value("products/shirt/red.jpg")],
        },
    )
    variant = ProductRecord(
        sku="SHIRT-RED-M",
        parent="SHIRT-RED",
        family="apparel",
        enabled=True,
        values={"size": [value("m")], "ean": [value("4006381333931")]},
        stock={"warehouse_uk": Decimal(3), "dropship": Decimal(2)},
        associations={"upsell": [AssociationLink("SHIRT-PREMIUM")]},
    )
    return variant, [red, root]


def spare_part(sku: str = "MOTOR-7") -> ProductRecord:
    return ProductRecord(
        sku=sku,
        family="spare_parts",
        categories=["motors"],
        enabled=True,
        values={
            "name": [value("Drive motor 7", "en_GB"), value("Antriebsmotor 7", "de_DE")],
            "brand": [value("Acme")],
            "mpn": [value("DM-7")],
            "weight": [value({"amount": "2.40", "unit": "KILOGRAM"})],
            "price": [
                value(prices(("120.00", "EUR"), ("95.00", "EUR", 50), ("110.00", "EUR", 10)))
            ],
        },
        stock={"warehouse_de": Decimal(80)},
    )
