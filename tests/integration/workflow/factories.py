"""Small catalogs for workflow and publishing tests: the demo structure (locales, families,
the shipped channels) and products that pass, or fail, the UK webshop's schema."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from pim.auth.actor import Actor
from pim.catalog.models import Product
from pim.records import ProductRecord
from tests.factories import make_catalog, one, write

ADMIN = Actor("ada", "admin")
EDITOR = Actor("ed", "editor")
REVIEWER = Actor("rita", "reviewer")
VIEWER = Actor("vic", "viewer")

__all__ = ["ADMIN", "EDITOR", "REVIEWER", "VIEWER", "complete_speaker", "incomplete_speaker",
           "make_catalog", "one", "product_id", "shirt_colour", "shirt_model", "shirt_variant", "write"]


def complete_speaker(sku: str = "EL-1", *, price: str = "49.99", **values) -> ProductRecord:
    """An electronics product every storefront channel carries and accepts."""
    base = {
        "name": one("Voltia speaker", "en_GB") + one("Voltia Lautsprecher", "de_DE")
        + one("Voltia speaker", "en_IE") + one("Enceinte Voltia", "fr_FR"),
        "description": one("<p>Loud.</p>", "en_GB") + one("<p>Laut.</p>", "de_DE")
        + one("<p>Loud.</p>", "en_IE") + one("<p>Fort.</p>", "fr_FR"),
        "brand": one("Voltia"),
        "ean": one("5012345678900"),
        "mpn": one("VOL-1"),
        "image": one("demo/speaker.jpg"),
        "condition": one("new"),
        "weight": one({"amount": "1.2", "unit": "KILOGRAM"}),
        "price": one([{"amount": price, "currency": "GBP"},
                      {"amount": "59.99", "currency": "EUR"}]),
    }
    base.update(values)
    return ProductRecord(sku=sku, family="electronics", categories=["audio"], values=base,
                         stock={"warehouse_uk": Decimal(5), "warehouse_de": Decimal(3)})


def incomplete_speaker(sku: str = "EL-2") -> ProductRecord:
    """Carried by the UK webshop but missing its description and image."""
    record = complete_speaker(sku)
    record.values.pop("description")
    record.values.pop("image")
    return record


def shirt_model(code: str = "SHIRT", **values) -> ProductRecord:
    base = {"name": one("Oxford shirt", "en_GB"), "description": one("<p>Cotton.</p>", "en_GB"),
            "brand": one("Northwind"), "image": one("demo/shirt.jpg"),
            "price": one([{"amount": "30.00", "currency": "GBP"}])}
    base.update(values)
    return ProductRecord(sku=code, kind="product_model", family_variant="apparel_colour_size",
                         categories=["clothing_men"], values=base)


def shirt_colour(code: str, parent: str, colour: str = "red") -> ProductRecord:
    return ProductRecord(sku=code, kind="product_model", parent=parent,
                         values={"colour": one(colour)})


def shirt_variant(sku: str, parent: str, size: str = "m") -> ProductRecord:
    return ProductRecord(sku=sku, parent=parent, values={"size": one(size)},
                         stock={"warehouse_uk": Decimal(2)})


def product_id(session, sku: str) -> int:
    return session.scalar(select(Product.id).where(Product.sku == sku))
