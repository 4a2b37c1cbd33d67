"""Product writes on SQLite and PostgreSQL: versions, history, locking, ownership, restore."""

import pytest
from sqlalchemy import func, select

from pim.catalog.models import Product
from pim.catalog.products import WritePolicy
from pim.catalog.read import get_product
from pim.catalog.versions import product_history, restore_product
from pim.history.models import HistoryEntry
from pim.records import ProductRecord
from tests.factories import electronics, one, write


@pytest.fixture
def catalog(demo_structure, session):
    return session


def history_count(session, sku):
    return session.scalar(select(func.count()).where(HistoryEntry.code == sku))


def test_creating_a_product_gives_version_1_and_a_history_entry(catalog):
    [result] = write(catalog, electronics())
    catalog.commit()
    assert (result.status, result.version) == ("created", 1)
    [entry] = product_history(catalog, "EL-1")
    assert (entry.version, entry.changed_by, entry.source) == (1, "tester", "api")
    # A creation stores no diff: its changes are everything its state sets.
    assert entry.diff == []
    assert {"field": "values.brand", "old": None, "new": "Voltia"} in entry.changes
    assert entry.changes == result.diff


def test_an_update_bumps_the_version_and_records_a_field_level_diff(catalog):
    write(catalog, electronics())
    [result] = write(catalog, ProductRecord(sku="EL-1", values={"brand": one("Sonara")}))
    catalog.commit()
    assert (result.status, result.version) == ("updated", 2)
    assert result.diff == [{"field": "values.brand", "old": "Voltia", "new": "Sonara"}]
    assert get_product(catalog, "EL-1")["values"]["name"][0]["data"] == "Voltia speaker"


def test_writing_the_same_content_again_changes_nothing_and_writes_no_history(catalog):
    write(catalog, electronics())
    [result] = write(catalog, electronics())
    catalog.commit()
    assert (result.status, result.version) == ("unchanged", 1)
    assert history_count(catalog, "EL-1") == 1


def test_a_stale_version_is_refused_and_nothing_is_overwritten(catalog):
    write(catalog, electronics())
    write(catalog, ProductRecord(sku="EL-1", values={"brand": one("Sonara")}))
    catalog.commit()
    [result] = write(catalog, ProductRecord(sku="EL-1", values={"brand": one("Stale")}),
                     expected_versions={"EL-1": 1})
    catalog.commit()
    assert result.status == "refused" and "stale" in result.errors[0]["message"]
    product = get_product(catalog, "EL-1")
    assert product["version"] == 2
    assert product["values"]["brand"][0]["data"] == "Sonara"


def test_an_invalid_value_refuses_the_record_with_a_precise_error(catalog):
    write(catalog, electronics())
    bad = ProductRecord(sku="EL-1", values={"brand": one("Sonara"),
                                            "ean": one("5012345678901")})
    [result] = write(catalog, bad)
    catalog.commit()
    assert result.status == "refused"
    assert result.errors == [{"attribute": "ean", "locale": None, "scope": None,
                              "message": "'5012345678901' has a wrong check digit"}]
    assert get_product(catalog, "EL-1")["values"]["brand"][0]["data"] == "Voltia"


def test_one_bad_record_does_not_block_the_others_in_its_batch(catalog):
    results = write(catalog, electronics("EL-1"),
                    electronics("EL-2", ean=one("123")), electronics("EL-3"))
    catalog.commit()
    assert [r.status for r in results] == ["created", "refused", "created"]


def test_unknown_family_category_and_parent_are_named(catalog):
    record = ProductRecord(sku="X", family="nope", categories=["ghost"], parent="no-model")
    [result] = write(catalog, record)
    fields = {e.get("field") for e in result.errors}
    assert fields == {"family", "categories", "parent"}


def test_null_data_clears_a_value(catalog):
    write(catalog, electronics())
    write(catalog, ProductRecord(sku="EL-1", values={"brand": one(None)}))
    catalog.commit()
    assert "brand" not in get_product(catalog, "EL-1")["values"]


def test_a_user_may_not_write_an_erp_owned_attribute(catalog):
    write(catalog, electronics())
    record = ProductRecord(sku="EL-1", values={"part_number": one("P-1")})
    [result] = write(catalog, record, policy=WritePolicy("user"))
    assert result.status == "refused"
    assert result.errors[0]["attribute"] == "part_number"
    assert "ERP" in result.errors[0]["message"]


def test_an_import_keeps_a_pim_owned_value_and_reports_the_conflict(catalog):
    write(catalog, electronics())
    [result] = write(catalog, ProductRecord(sku="EL-1", values={"brand": one("Imported")}),
                     source="import:job1", policy=WritePolicy("import"))
    catalog.commit()
    assert result.status == "unchanged"
    assert result.conflicts[0]["attribute"] == "brand"
    assert result.conflicts[0]["current"] == "Voltia"
    assert get_product(catalog, "EL-1")["values"]["brand"][0]["data"] == "Voltia"


def test_an_import_whose_profile_allows_it_overwrites_pim_owned_values(catalog):
    write(catalog, electronics())
    [result] = write(catalog, ProductRecord(sku="EL-1", values={"brand": one("Imported")}),
                     source="import:job1",
                     policy=WritePolicy("import", overwrite_pim_owned=True))
    assert result.status == "updated" and result.conflicts == []


def test_an_erp_pull_writes_erp_owned_attributes_only(catalog):
    write(catalog, electronics())
    record = ProductRecord(sku="EL-1", values={"part_number": one("P-9"),
                                               "brand": one("FromERP")})
    [result] = write(catalog, record, source="erp:tryton", policy=WritePolicy("erp"))
    catalog.commit()
    product = get_product(catalog, "EL-1")
    assert product["values"]["part_number"][0]["data"] == "P-9"
    assert product["values"]["brand"][0]["data"] == "Voltia"
    assert [c["attribute"] for c in result.conflicts] == ["brand"]


def test_restoring_a_version_brings_its_values_back_as_a_new_version(catalog):
    write(catalog, electronics())
    write(catalog, ProductRecord(sku="EL-1", categories=["tv"],
                                 values={"brand": one("Sonara"), "mpn": one("M-1")}))
    catalog.commit()
    result = restore_product(catalog, "EL-1", 1, actor="tester", source="cli")
    catalog.commit()
    product = get_product(catalog, "EL-1")
    assert result.version == 3
    assert product["values"]["brand"][0]["data"] == "Voltia"
    assert "mpn" not in product["values"]
    assert product["categories"] == ["audio"]
    assert "restore of v1" in product_history(catalog, "EL-1")[-1].source


def test_variants_attach_to_their_product_model_and_inherit_its_family(catalog):
    from pim.catalog.product_models import write_product_models

    write_product_models(catalog, [
        ProductRecord(sku="AP-1", kind="product_model", family_variant="apparel_colour_size",
                      values={"brand": one("Oakline")}),
        ProductRecord(sku="AP-1-red", kind="product_model", parent="AP-1",
                      values={"colour": one("red")}),
    ], actor="tester", source="api")
    [result] = write(catalog, ProductRecord(sku="AP-1-RED-M", parent="AP-1-red",
                                            values={"size": one("m")}))
    catalog.commit()
    product = get_product(catalog, "AP-1-RED-M")
    assert result.status == "created"
    assert (product["parent"], product["family"]) == ("AP-1-red", "apparel")


def test_associations_and_quantities_are_stored_per_type(catalog):
    from pim.records import AssociationLink

    write(catalog, electronics("EL-2"))
    record = electronics("EL-1")
    record.associations = {"PACK": [AssociationLink("EL-2", 4)],
                           "X_SELL": [AssociationLink("EL-2", 9)]}
    write(catalog, record)
    catalog.commit()
    associations = get_product(catalog, "EL-1")["associations"]
    assert associations["PACK"] == [{"sku": "EL-2", "quantity": 4}]
    assert associations["X_SELL"] == [{"sku": "EL-2", "quantity": None}]  # not quantified


def test_a_product_object_held_by_the_session_sees_a_batch_update(catalog):
    write(catalog, electronics())
    catalog.commit()
    product = catalog.scalar(select(Product).where(Product.sku == "EL-1"))
    assert product.version == 1
    write(catalog, ProductRecord(sku="EL-1", values={"brand": one("Sonara")}))
    assert product.version == 2
    assert product.values["brand"][0]["data"] == "Sonara"
