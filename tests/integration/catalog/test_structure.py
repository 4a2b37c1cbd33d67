"""Structure services: clear refusals and consistent trees."""

import pytest
from sqlalchemy import select

from pim.catalog.models import Category
from pim.catalog.structure import apply_structure, delete_structure, load_context
from pim.errors import Conflict, Invalid
from tests.factories import electronics, write


@pytest.fixture
def catalog(demo_structure, session):
    return session


def test_attribute_codes_must_be_lowercase_identifiers(catalog):
    with pytest.raises(Invalid) as error:
        apply_structure(catalog, "attribute", "Bad-Code", {"type": "text"})
    assert "code" in str(error.value)


def test_an_attribute_cannot_change_its_type(catalog):
    with pytest.raises(Conflict):
        apply_structure(catalog, "attribute", "brand", {"type": "number"})


def test_a_measurement_needs_a_known_unit_family(catalog):
    with pytest.raises(Invalid, match="unit family"):
        apply_structure(catalog, "attribute", "depth", {"type": "measurement",
                                                        "unit_family": "Nope"})


def test_applying_the_same_structure_twice_reports_no_change(catalog):
    assert apply_structure(catalog, "category", "garden", {"parent": "master"}) is True
    assert apply_structure(catalog, "category", "garden", {"parent": "master"}) is False


def test_moving_a_category_moves_its_descendants_paths(catalog):
    apply_structure(catalog, "category", "headphones", {"parent": "audio"})
    apply_structure(catalog, "category", "audio", {"parent": "b2b"})
    catalog.flush()
    rows = {c.code: c for c in catalog.scalars(select(Category))}
    assert rows["headphones"].path.startswith(rows["b2b"].path)
    assert load_context(catalog).category_path("headphones") == ["b2b", "audio", "headphones"]


def test_a_category_cannot_move_under_its_own_descendant(catalog):
    with pytest.raises(Invalid, match="cycle"):
        apply_structure(catalog, "category", "electronics", {"parent": "audio"})


def test_a_family_in_use_cannot_be_deleted(catalog):
    write(catalog, electronics())
    with pytest.raises(Conflict, match="used by 1"):
        delete_structure(catalog, "family", "electronics")


def test_family_requirements_must_name_existing_attributes(catalog):
    with pytest.raises(Invalid, match="ghost"):
        apply_structure(catalog, "family", "tools", {"attributes": ["name"],
                                                     "requirements": {"webshop-uk": ["ghost"]}})


def refused_delete(session, kind, code, **kw) -> str:
    with pytest.raises(Conflict) as refused:
        delete_structure(session, kind, code, **kw)
    return refused.value.message


def test_an_attribute_with_values_is_not_deleted_and_the_refusal_names_its_users(catalog):
    write(catalog, *[electronics(f"EL-{i}") for i in range(5)])
    message = refused_delete(catalog, "attribute", "brand")
    assert "5 products (EL-0, EL-1, EL-2, ...)" in message
    assert "families (apparel, electronics, spare_parts)" in message
    assert "brand" in load_context(catalog).attributes


def test_an_attribute_only_a_family_names_is_not_deleted(catalog):
    apply_structure(catalog, "attribute", "lamp_voltage", {"type": "text"})
    apply_structure(catalog, "family", "lamps", {"attributes": ["name", "lamp_voltage"]})
    assert "1 family (lamps)" in refused_delete(catalog, "attribute", "lamp_voltage")


def test_an_unused_attribute_is_deleted(catalog):
    apply_structure(catalog, "attribute", "lamp_voltage", {"type": "text"})
    delete_structure(catalog, "attribute", "lamp_voltage")
    assert "lamp_voltage" not in load_context(catalog).attributes


def test_an_option_a_product_uses_is_not_deleted(catalog):
    from tests.factories import one

    write(catalog, electronics(condition=one("new")))
    assert "1 product (EL-1)" in refused_delete(catalog, "attribute_option", "new",
                                                attribute="condition")
    delete_structure(catalog, "attribute_option", "refurbished", attribute="condition")


def test_an_option_mentioned_by_more_rows_than_are_checked_is_not_deleted(catalog,
                                                                       monkeypatch):
    """Past CANDIDATES rows mentioning the code, a row that uses it may be among those not
    checked one by one: refused, never deleted on a partial look."""
    from pim.catalog import usage
    from pim.records import gtin_with_check_digit
    from tests.factories import one

    monkeypatch.setattr(usage, "CANDIDATES", 2)
    # Three products mention "new" in another attribute only (their brand).
    write(catalog, *[electronics(f"EL-{i}", brand=one("new"),
                                 ean=one(gtin_with_check_digit(f"50123456780{i}")))
                     for i in range(3)])
    refusal = refused_delete(catalog, "attribute_option", "new", attribute="condition")
    assert "possibly more than 2 products" in refusal
    write(catalog, *[electronics(f"EL-{i}", condition=one("new")) for i in range(3)])
    assert "at least 2 products (EL-0, EL-1, ...)" in refused_delete(
        catalog, "attribute_option", "new", attribute="condition")


def test_a_family_variant_a_model_uses_is_a_conflict_not_a_database_error(catalog):
    from pim.catalog.models import FamilyVariant
    from pim.catalog.product_models import write_product_models
    from pim.records import ProductRecord

    variant = catalog.scalars(select(FamilyVariant)).first()
    model = ProductRecord("MODEL-1", kind="product_model", values={})
    model.family_variant = variant.code
    [result] = write_product_models(catalog, [model], actor="t", source="test")
    assert result.ok, result.errors
    assert "1 product model (MODEL-1)" in refused_delete(catalog, "family_variant",
                                                         variant.code)


def test_a_category_with_products_or_children_is_not_deleted(catalog):
    write(catalog, electronics())
    assert "1 product (EL-1)" in refused_delete(catalog, "category", "audio")
    assert "child categor" in refused_delete(catalog, "category", "master")


@pytest.mark.parametrize(("kind", "code"), [("locale", "en_GB"), ("currency", "GBP")])
def test_a_locale_or_currency_values_use_is_not_deleted(catalog, kind, code):
    write(catalog, electronics())
    assert "1 product (EL-1)" in refused_delete(catalog, kind, code)


def test_deleting_an_attribute_in_use_over_the_api_is_a_409_naming_its_users(client, world):
    response = client.delete("/api/v1/attributes/brand", headers=world.auth("admin"))
    assert response.status_code == 409, response.text
    assert "3 products (EL-1, EL-2, EL-3)" in response.json()["detail"]
    assert client.get("/api/v1/attributes/brand", headers=world.auth("admin")).status_code == 200


def test_the_shared_context_is_reused_until_any_structure_row_changes(catalog):
    from pim.catalog.structure import shared_context

    first = shared_context(catalog)
    assert first == load_context(catalog)
    assert shared_context(catalog) is first
    # Any structure write (a label changed, a locale added) gives a context read afresh.
    apply_structure(catalog, "attribute", "brand", {"type": "text",
                                                    "labels": {"en_GB": "Maker"}})
    relabelled = shared_context(catalog)
    assert relabelled is not first and relabelled.attributes["brand"].labels == {
        "en_GB": "Maker"}
    assert relabelled == load_context(catalog)
    apply_structure(catalog, "locale", "it_IT", {})
    assert "it_IT" in shared_context(catalog).locales


def test_a_shared_context_carries_the_attribute_groups_read_with_it(catalog):
    from pim.catalog.structure import attribute_groups, attribute_groups_with, shared_context

    first = shared_context(catalog)
    assert attribute_groups_with(catalog, first) == attribute_groups(catalog)
    apply_structure(catalog, "attribute_group", "logistics", {
        "labels": {"en_GB": "Logistics"}, "sort_order": 90})
    regrouped = shared_context(catalog)
    assert regrouped is not first
    assert "logistics" in [g["code"] for g in attribute_groups_with(catalog, regrouped)]
    # A context not from shared_context has its groups read.
    assert attribute_groups_with(catalog, load_context(catalog)) == attribute_groups(catalog)
