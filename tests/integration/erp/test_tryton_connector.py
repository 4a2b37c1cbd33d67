"""The Tryton connector against a real Tryton server: what a pull yields, nothing written."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from importers.erp import (
    ConnectorConfigError,
    ErpAuthError,
    ErpProduct,
    ErpStock,
    ErpUnavailable,
    PullEnd,
    open_connector,
    parse_connector,
)
from pim.records import RowError
from tests.integration.erp.conftest import PASSWORD_ENV, catalogue

pytestmark = pytest.mark.slow


def pull(config_data, since=None):
    with open_connector(parse_connector(config_data)) as source:
        items = list(source.pull(since))
    end = items[-1]
    assert isinstance(end, PullEnd)
    return [i for i in items[:-1] if isinstance(i, ErpProduct)], \
        [i for i in items[:-1] if isinstance(i, ErpStock)], \
        [i for i in items[:-1] if isinstance(i, RowError)], end


def by_sku(products):
    return {p.record.sku: p for p in products}


def changed_since(products, watermark):
    """The products read because they changed after ``watermark`` (a pull also reads again
    what carries the watermark's own timestamp: the filter is >=)."""
    return sorted(p.record.sku for p in products if p.modified_at > watermark)


def test_full_pull_reads_every_product_with_the_default_mapping(tryton):
    tryton.admin.create_products(catalogue(120))
    products, stock, errors, end = pull(tryton.connector(page_size=50))
    assert errors == [] and stock == []
    assert len(products) == 120 and end.read == 120
    first = by_sku(products)["P-0001"]
    values = first.record.values
    assert values["erp_name"] == [{"locale": None, "scope": None, "data": "Pump seal 1"}]
    assert values["price"][0]["data"] == [{"amount": "11.50", "currency": "EUR"}]
    assert values["cost_price"][0]["data"] == [{"amount": "5.25", "currency": "EUR"}]
    assert values["ean"][0]["data"] == catalogue(1)[0]["ean"]
    assert values["unit"][0]["data"] == "u"
    assert values["erp_category"][0]["data"] == "Pumps"
    assert first.record.enabled is None and first.active
    assert end.present_keys == {p.key for p in products}
    assert end.watermark is not None and end.watermark.tzinfo is not None


def test_incremental_pull_with_nothing_changed_keeps_the_watermark(tryton):
    tryton.admin.create_products(catalogue(5))
    _, _, _, first = pull(tryton.connector())
    products, _, _, end = pull(tryton.connector(overlap="0s"), since=first.watermark)
    # Only what carries the watermark's own timestamp is read again (the filter is >=).
    assert all(p.modified_at == first.watermark for p in products)
    assert end.watermark == first.watermark


def test_a_template_edit_reaches_its_variant(tryton):
    tryton.admin.create_products(catalogue(5))
    _, _, _, first = pull(tryton.connector())
    time.sleep(0.05)
    tryton.admin.rename("P-0003", "Pump seal, improved")
    products, _, _, _ = pull(tryton.connector(overlap="0s"), since=first.watermark)
    assert changed_since(products, first.watermark) == ["P-0003"]
    assert by_sku(products)["P-0003"].record.values["erp_name"][0]["data"] == \
        "Pump seal, improved"


def test_stock_per_mapped_location_and_moves_since_the_watermark(tryton):
    tryton.admin.create_products(catalogue(5))
    tryton.admin.receive("P-0001", 7)
    time.sleep(0.05)
    tryton.admin.rename("P-0005", "Newest")  # the watermark moves past P-0002's creation
    config = tryton.connector(stock={"STO": "warehouse_uk", "IN": "dropship"})
    products, _, _, first = pull(config)
    stock = {p.record.sku: p.record.stock for p in products}
    assert stock["P-0001"] == {"warehouse_uk": Decimal(7), "dropship": Decimal(0)}
    assert stock["P-0002"] == {"warehouse_uk": Decimal(0), "dropship": Decimal(0)}
    time.sleep(0.05)
    tryton.admin.receive("P-0002", 3, location="IN")
    products, moved, _, end = pull({**config, "overlap": "0s"}, since=first.watermark)
    assert [p.record.sku for p in products] == ["P-0005"]  # read again: the watermark's own
    assert [(s.sku, s.stock) for s in moved] == [
        ("P-0002", {"warehouse_uk": Decimal(0), "dropship": Decimal(3)})]
    assert end.watermark > first.watermark


def test_price_list_tiers_become_min_quantity_prices(tryton):
    tryton.admin.create_products(catalogue(3))
    tryton.admin.price_list("Trade", [
        {"product": "P-0002", "formula": "unit_price * Decimal('0.8')"},
        {"quantity": 10, "formula": "unit_price * 0.9"},
        {"formula": "unit_price - 1"},
    ])
    products, _, errors, _ = pull(tryton.connector(price_lists={"Trade": "trade_price"}))
    assert errors == []
    prices = {p.record.sku: p.record.values["trade_price"][0]["data"] for p in products}
    assert prices["P-0001"] == [{"amount": "10.50", "currency": "EUR"},
                                {"amount": "10.35", "currency": "EUR", "min_quantity": 10}]
    assert prices["P-0002"] == [{"amount": "10.00", "currency": "EUR"}]


def test_a_changed_price_list_rereads_every_product(tryton):
    tryton.admin.create_products(catalogue(4))
    list_id = tryton.admin.price_list("Trade", [{"formula": "unit_price"}])
    config = tryton.connector(price_lists={"Trade": "trade_price"}, overlap="0s")
    _, _, _, first = pull(config)
    time.sleep(0.05)
    tryton.admin.call("product.price_list", "write", [list_id],
                      {"lines": [["create", [{"formula": "unit_price * 2", "sequence": 0}]]]})
    products, _, _, end = pull(config, since=first.watermark)
    assert len(products) == 4
    assert any("price list changed" in note for note in end.notes)


def test_a_product_without_code_is_reported_not_pulled(tryton):
    tryton.admin.create_products(catalogue(2))
    tryton.admin.call("product.template", "create", [{
        "name": "No code", "type": "goods", "default_uom": tryton.admin.unit(),
        "list_price": {"__class__": "Decimal", "decimal": "1"},
        "products": [["create", [{}]]]}])
    products, _, errors, end = pull(tryton.connector())
    assert len(products) == 2
    assert [e.severity for e in errors] == ["warning"] and "has no code" in errors[0].message
    assert len(end.present_keys) == 3


def test_a_wrong_password_is_an_auth_error_that_never_shows_it(tryton, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong-secret-123")
    with pytest.raises(ErpAuthError) as raised:
        pull(tryton.connector())
    assert "wrong-secret-123" not in str(raised.value)
    assert "admin" in str(raised.value)


def test_an_unknown_database_names_the_key(tryton):
    with pytest.raises(ConnectorConfigError) as raised:
        pull(tryton.connector(database="nosuchdb"))
    assert raised.value.key == "database"


def test_an_unknown_location_or_price_list_names_the_key(tryton):
    with pytest.raises(ConnectorConfigError) as raised:
        pull(tryton.connector(stock={"NOPE": "warehouse_uk"}))
    assert raised.value.key == "stock.NOPE"
    with pytest.raises(ConnectorConfigError) as raised:
        pull(tryton.connector(price_lists={"Retail": "retail_price"}))
    assert raised.value.key == "price_lists.Retail"


def test_an_unreachable_server_is_unavailable_after_the_retries(tryton):
    from tests.tryton_server import free_port

    with pytest.raises(ErpUnavailable) as raised:
        pull(tryton.connector(url=f"http://127.0.0.1:{free_port()}", retries=1))
    assert "after 2 attempts" in str(raised.value)
