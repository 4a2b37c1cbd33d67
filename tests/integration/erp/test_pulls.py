"""Pulls from a real Tryton into the hub, on both engines: what is created, changed,
disabled, left alone, and where the watermark stands."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from sqlalchemy import select

from importers.erp import ConnectorConfigError, ErpUnavailable, parse_connector
from pim.catalog.models import Product, Stock
from pim.catalog.products import WritePolicy
from pim.erp import pull
from pim.erp.models import ErpConnector
from pim.history.models import HistoryEntry
from tests.factories import one, write
from tests.integration.erp.conftest import catalogue
from tests.tryton_server import TrytonAdmin, TrytonServer, database_name, ensure_tryton

pytestmark = pytest.mark.slow


def connector(tryton, **overrides):
    return parse_connector(tryton.connector(family="spare_parts", **overrides))


def products(hub) -> dict[str, Product]:
    with hub() as session:
        return {p.sku: p for p in session.scalars(select(Product))}


def state(hub) -> ErpConnector:
    with hub() as session:
        return session.get(ErpConnector, "tryton")


def price(product: Product) -> list[dict]:
    return product.values["price"][0]["data"]


def test_a_full_pull_imports_every_product(hub, tryton):
    tryton.admin.create_products(catalogue(60))
    report = pull(connector(tryton), session_factory=hub)
    assert (report.read, report.created, report.refused, report.full) == (60, 60, 0, True)
    stored = products(hub)
    assert len(stored) == 60
    first = stored["P-0001"]
    assert (first.family_code, first.enabled, first.version) == ("spare_parts", True, 1)
    assert first.values["erp_name"] == one("Pump seal 1")
    assert price(first) == [{"amount": "11.50", "currency": "EUR"}]
    assert "ean" not in first.values  # pim-owned in the demo: never written by a pull
    with hub() as session:
        sources = set(session.scalars(select(HistoryEntry.source)))
    assert sources == {"erp:tryton"}
    row = state(hub)
    assert row.watermark is not None and row.last_pull_status == "succeeded"
    assert row.last_pull["created"] == 60
    assert any("ean" in note and "owned by the PIM" in note for note in row.last_pull["notes"])


def test_a_price_changed_in_tryton_arrives_incrementally_and_only_that_product_changes(
        hub, tryton):
    tryton.admin.create_products(catalogue(40))
    pull(connector(tryton), session_factory=hub)
    before = {sku: p.version for sku, p in products(hub).items()}
    watermark = state(hub).watermark
    time.sleep(0.05)
    tryton.admin.set_list_price("P-0013", "77.70")
    report = pull(connector(tryton), session_factory=hub)
    assert not report.full and report.updated == 1 and report.created == 0
    after = products(hub)
    changed = {sku for sku, p in after.items() if p.version != before[sku]}
    assert changed == {"P-0013"}
    assert price(after["P-0013"]) == [{"amount": "77.70", "currency": "EUR"}]
    assert state(hub).watermark > watermark


def test_a_product_deactivated_in_tryton_is_disabled_here_and_back_when_reactivated(
        hub, tryton):
    tryton.admin.create_products(catalogue(5))
    pull(connector(tryton), session_factory=hub)
    time.sleep(0.05)
    tryton.admin.deactivate("P-0002")
    report = pull(connector(tryton), session_factory=hub)
    assert report.disabled == 1
    assert products(hub)["P-0002"].enabled is False
    time.sleep(0.05)
    tryton.admin.call("product.product", "write", [tryton.admin.product("P-0002")["id"]],
                      {"active": True})
    report = pull(connector(tryton), session_factory=hub)
    assert report.enabled == 1 and products(hub)["P-0002"].enabled is True


def test_a_product_a_person_disabled_stays_disabled(hub, tryton):
    tryton.admin.create_products(catalogue(3))
    pull(connector(tryton), session_factory=hub)
    with hub.begin() as session:
        write(session, _record("P-0001", enabled=False), policy=WritePolicy("user"))
    time.sleep(0.05)
    tryton.admin.rename("P-0001", "Renamed in Tryton")
    pull(connector(tryton), session_factory=hub)
    stored = products(hub)["P-0001"]
    assert stored.enabled is False and stored.values["erp_name"] == one("Renamed in Tryton")


def test_a_product_deleted_in_tryton_is_disabled_not_deleted(hub, tryton):
    tryton.admin.create_products(catalogue(4))
    pull(connector(tryton), session_factory=hub)
    tryton.admin.delete("P-0003")
    report = pull(connector(tryton), session_factory=hub)
    stored = products(hub)
    assert len(stored) == 4 and stored["P-0003"].enabled is False
    assert report.disabled == 1
    assert any("gone from the ERP" in note for note in report.notes)


def test_a_stock_move_changes_availability(hub, tryton):
    tryton.admin.create_products(catalogue(3))
    config = connector(tryton, stock={"STO": "warehouse_uk"})
    pull(config, session_factory=hub)
    with hub.begin() as session:  # another source's stock, from elsewhere: kept
        write(session, _record("P-0002", stock={"dropship": Decimal(4)}))
    assert availability(hub, "P-0001") == ("out_of_stock", 0)
    time.sleep(0.05)
    tryton.admin.rename("P-0003", "moves the watermark past P-0001's creation")
    pull(config, session_factory=hub)
    time.sleep(0.05)
    tryton.admin.receive("P-0001", 6)
    tryton.admin.receive("P-0002", 2)
    report = pull(config, session_factory=hub)
    assert report.stock_updated == 2 and report.updated == 0
    assert availability(hub, "P-0001") == ("in_stock", 6)
    with hub() as session:
        stock = {(sku, source): qty for sku, source, qty in session.execute(
            select(Product.sku, Stock.source, Stock.quantity).join(
                Stock, Stock.product_id == Product.id))}
    assert stock[("P-0002", "warehouse_uk")] == 2 and stock[("P-0002", "dropship")] == 4


def test_a_pim_owned_value_enriched_here_survives_every_pull(hub, tryton):
    tryton.admin.create_products(catalogue(3))
    pull(connector(tryton), session_factory=hub)
    enriched = {"name": one("Seal, premium", "en_GB"), "brand": one("Hydra"),
                "ean": one("4006381333931")}
    with hub.begin() as session:
        write(session, _record("P-0001", values=enriched), policy=WritePolicy("user"))
        write(session, _record("P-0001", values={"price": one(
            [{"amount": "9.99", "currency": "GBP"}, {"amount": "11.50", "currency": "EUR"}])}),
            policy=WritePolicy("system"))
    time.sleep(0.05)
    tryton.admin.rename("P-0001", "Seal (ERP name)")
    tryton.admin.set_list_price("P-0001", "12.00")
    for full in (False, True):
        report = pull(connector(tryton), session_factory=hub, full=full)
        assert report.refused == 0
        stored = products(hub)["P-0001"]
        for code, value in enriched.items():
            assert stored.values[code] == value
        assert stored.values["erp_name"] == one("Seal (ERP name)")
        assert sorted(price(stored), key=lambda p: p["currency"]) == [
            {"amount": "12.00", "currency": "EUR"}, {"amount": "9.99", "currency": "GBP"}]


def test_rerunning_a_pull_changes_nothing(hub, tryton):
    tryton.admin.create_products(catalogue(10))
    pull(connector(tryton), session_factory=hub)
    versions = {sku: p.version for sku, p in products(hub).items()}
    report = pull(connector(tryton), session_factory=hub, full=True)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 10)
    assert {sku: p.version for sku, p in products(hub).items()} == versions


def test_a_refused_product_is_counted_with_its_reason(hub, tryton):
    tryton.admin.create_products(catalogue(3))
    tryton.admin.set_list_price("P-0002", "19.1234")  # the hub keeps prices to the cent
    report = pull(connector(tryton), session_factory=hub)
    assert (report.created, report.refused) == (2, 1)
    assert report.errors[0]["sku"] == "P-0002" and "price" in report.errors[0]["message"]
    assert state(hub).last_pull["errors"] == report.errors


def test_a_mapping_to_a_pim_owned_attribute_stops_the_pull_naming_the_key(hub, tryton):
    with pytest.raises(ConnectorConfigError) as raised:
        pull(connector(tryton, mapping={"name": {"attribute": "brand"}}), session_factory=hub)
    assert raised.value.key == "mapping.name"
    assert state(hub).last_pull_status == "failed" and state(hub).watermark is None


def test_the_server_stopped_mid_pull_leaves_the_watermark_and_the_next_pull_completes(
        hub, tmp_path, monkeypatch):
    from tests.integration.erp.conftest import PASSWORD_ENV, TrytonDatabase
    from tests.tryton_server import ADMIN_PASSWORD

    monkeypatch.setenv(PASSWORD_ENV, ADMIN_PASSWORD)
    venv = ensure_tryton()
    server = TrytonServer(venv, tmp_path).start()  # this test's own: it is stopped mid-pull
    try:
        name = server.new_database(database_name("stop"))
        admin = TrytonAdmin(server.url, name)
        tryton = TrytonDatabase(server, name, admin)
        admin.create_products(catalogue(200))
        config = connector(tryton, page_size=20)
        pull(config, session_factory=hub)
        watermark = state(hub).watermark
        time.sleep(0.05)
        templates = [row["template"] for row in admin.call(
            "product.product", "search_read", [], 0, None, None, ["template"])]
        admin.call("product.template", "write", templates,
                   {"list_price": {"__class__": "Decimal", "decimal": "50"}})
        admin.close()

        def stop_after_first_batch(done, message):
            if server.running:
                server.stop()

        with pytest.raises(ErpUnavailable):
            pull(config, session_factory=hub, progress=stop_after_first_batch, batch_size=20,
                 read_ahead_items=1)
        failed = state(hub)
        assert failed.watermark == watermark and failed.last_pull_status == "failed"
        assert "did not answer" in failed.error
        halfway = sum(price(p) == [{"amount": "50.00", "currency": "EUR"}]
                      for p in products(hub).values())
        assert 0 < halfway < 200

        restarted = TrytonServer(venv, tmp_path, port=server.port, preload=(name,)).start()
        try:
            report = pull(config, session_factory=hub)
        finally:
            restarted.stop()
        assert report.refused == 0
        assert all(price(p) == [{"amount": "50.00", "currency": "EUR"}]
                   for p in products(hub).values())
        assert state(hub).watermark > watermark and state(hub).last_pull_status == "succeeded"
    finally:
        server.stop()


def availability(hub, sku: str) -> tuple[str, int]:
    from channels.projection import project_variant
    from pim.catalog.structure import load_context
    from pim.workflow.loading import load_channel_runtimes, load_products_by_sku

    with hub() as session:
        loaded = load_products_by_sku(session, [sku])[sku]
        channel = load_channel_runtimes(session, ["webshop-uk"])["webshop-uk"].definition
        variant = project_variant(loaded.record, loaded.ancestors, channel,
                                  load_context(session), channel.locales[0])
    return variant.fields["availability"], variant.fields["quantity"]


def _record(sku, **fields):
    from pim.records import ProductRecord

    return ProductRecord(sku=sku, **fields)
