"""Row factories shared by integration tests."""

from __future__ import annotations

from pim.catalog.products import CatalogCache, WritePolicy, write_products
from pim.records import ProductRecord


def make_catalog(session) -> None:
    """The demo's structure: locales, currencies, units, attributes, families, categories,
    association types and the shipped channels."""
    from pim.demo import load_structure

    load_structure(session)
    session.flush()


def one(data, locale=None, scope=None) -> list[dict]:
    return [{"locale": locale, "scope": scope, "data": data}]


def electronics(sku: str = "EL-1", **values) -> ProductRecord:
    base = {
        "name": one("Voltia speaker", "en_GB"),
        "brand": one("Voltia"),
        "ean": one("5012345678900"),
        "price": one([{"amount": "49.99", "currency": "GBP"}]),
    }
    base.update(values)
    return ProductRecord(sku=sku, family="electronics", categories=["audio"], values=base)


def write(session, *records, actor="tester", source="api", policy=WritePolicy("system"), **kw):
    return write_products(session, list(records), actor=actor, source=source, policy=policy,
                          cache=CatalogCache(session), **kw)
