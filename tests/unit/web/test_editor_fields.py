"""The editor's fields as pure functions: what an input shows for a stored value, what a
posted form stands for, and which level of a product's tree owns an attribute."""

from __future__ import annotations

from pim.records import (
    AttributeSpec,
    CatalogContext,
    FamilySpec,
    FamilyVariantSpec,
    ProductRecord,
)
from pim.web.editor_fields import (
    Level,
    build_fields,
    data_of,
    form_of,
    owning_depths,
    posted_form,
    same_form,
)

PRICE = AttributeSpec("price", "price")
WEIGHT = AttributeSpec("weight", "measurement", default_unit="KILOGRAM")
FEATURES = AttributeSpec("features", "multiselect", options={"wifi": {}, "hdr": {}})
DESCRIPTION = AttributeSpec("description", "textarea", localizable=True)


def test_a_price_shows_its_base_amounts_and_keeps_its_tiers_on_save():
    stored = [{"amount": "10.00", "currency": "GBP"},
              {"amount": "9.00", "currency": "GBP", "min_quantity": 10}]
    assert form_of(PRICE, stored) == {"GBP": "10.00"}
    posted = posted_form(PRICE, {"v.price.GBP": ["12.50"], "v.price.EUR": [""],
                                 "v.price.present": ["1"]}, ["GBP", "EUR"])
    assert posted == {"GBP": "12.50"}
    tiers = [stored[1]]
    assert data_of(PRICE, posted, tiers) == [{"amount": "12.50", "currency": "GBP"}, *tiers]


def test_a_measurement_without_an_amount_is_no_value_whatever_its_unit():
    assert same_form(WEIGHT, {"amount": "", "unit": "GRAM"}, form_of(WEIGHT, None))
    assert data_of(WEIGHT, {"amount": "", "unit": "GRAM"}, []) is None
    assert data_of(WEIGHT, {"amount": "1.5", "unit": "GRAM"}, []) == {
        "amount": "1.5", "unit": "GRAM"}


def test_a_multiselect_emptied_clears_the_value():
    posted = posted_form(FEATURES, {"v.features.present": ["1"]}, [])
    assert posted == {"": []}
    assert data_of(FEATURES, posted, []) is None
    assert not same_form(FEATURES, posted, form_of(FEATURES, ["wifi"]))


def test_a_multiselect_stored_in_another_order_is_unchanged_when_posted_back():
    # The checkboxes post the options in their order; the value may be stored in another
    # (an import's): saving another field must not rewrite it.
    posted = posted_form(FEATURES, {"v.features": ["wifi", "hdr"]}, [])
    assert same_form(FEATURES, posted, form_of(FEATURES, ["hdr", "wifi"]))
    assert not same_form(FEATURES, posted, form_of(FEATURES, ["hdr"]))


def test_a_multiselect_posted_by_the_checkboxes_is_stored_as_they_show_it():
    from pim.catalog.values import validate_values
    from pim.records import CatalogContext

    posted = posted_form(FEATURES, {"v.features": ["wifi", "hdr"]}, [])
    entry = {"locale": None, "scope": None, "data": data_of(FEATURES, posted, [])}
    clean, problems = validate_values({"features": [entry]},
                                      CatalogContext(attributes={"features": FEATURES}))
    assert not problems and clean["features"][0]["data"] == ["wifi", "hdr"]
    assert form_of(FEATURES, clean["features"][0]["data"]) == posted


def test_a_field_the_form_did_not_carry_is_not_posted():
    assert posted_form(DESCRIPTION, {"v.name": ["x"]}, []) is None


def test_an_emptied_rich_text_editor_is_no_value():
    assert same_form(DESCRIPTION, {"": "<p><br></p>"}, form_of(DESCRIPTION, None))
    assert data_of(DESCRIPTION, {"": "<br>"}, []) is None


def _tree() -> tuple[list[Level], CatalogContext]:
    attributes = {code: AttributeSpec(code, "text") for code in ("name", "colour", "size", "ean")}
    context = CatalogContext(
        attributes=attributes,
        families={"apparel": FamilySpec("apparel", ["name", "colour", "size", "ean"])},
        family_variants={"by_colour_size": FamilyVariantSpec(
            "by_colour_size", "apparel", [["colour"], ["size"]], [[], ["ean"]])},
        locales=["en_GB"])
    root = ProductRecord("M", kind="product_model", family="apparel",
                         family_variant="by_colour_size",
                         values={"name": [{"locale": None, "scope": None, "data": "Coat"}]})
    colour = ProductRecord("M-red", kind="product_model", parent="M", values={
        "colour": [{"locale": None, "scope": None, "data": "red"}]})
    variant = ProductRecord("M-red-s", family="apparel", parent="M-red", values={
        "size": [{"locale": None, "scope": None, "data": "s"}]})
    return ([Level("M", "product_model", root), Level("M-red", "product_model", colour),
             Level("M-red-s", "product", variant)], context)


def test_each_level_of_a_family_variant_owns_its_axes_and_level_attributes():
    levels, context = _tree()
    assert owning_depths(levels, context) == {"colour": 1, "size": 2, "ean": 2}


def test_a_variant_shows_its_models_values_as_inherited_and_read_only():
    levels, context = _tree()
    fields = {f.code: f for f in build_fields(levels, context, locale="en_GB", channel=None,
                                              may_write=True)}
    assert fields["name"].read_only == "inherited" and fields["name"].owner.code == "M"
    assert fields["name"].value == "Coat"
    assert fields["colour"].owner.code == "M-red"
    assert fields["size"].editable and fields["ean"].editable


def test_a_model_page_leaves_out_what_its_variants_own():
    levels, context = _tree()
    fields = build_fields(levels[:2], context, locale="en_GB", channel=None, may_write=True)
    assert [f.code for f in fields] == ["name", "colour"]
    assert fields[1].editable and fields[0].read_only == "inherited"
