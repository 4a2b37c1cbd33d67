from __future__ import annotations

from channels import build_validator, check_variant, load_schema, project_variant
from pim.records import ProductRecord
from tests.unit.channels.catalog import apparel_chain, electronics_product, value


def check(presets, context, product, ancestors=(), code="webshop-uk", requirements=()):
    channel = presets[code]
    variant = project_variant(product, ancestors, channel, context, channel.locales[0])
    validator = build_validator(load_schema(channel.schema_file))
    return check_variant(
        variant, channel, validator, family_requirements=requirements, context=context
    )


def test_complete_product_is_100_percent(presets, context):
    result = check(presets, context, electronics_product())
    assert (result.required, result.present, result.percent) == (10, 10, 100)


def test_percent_is_the_share_of_required_fields_present_rounded_down(presets, context):
    product = electronics_product()
    del product.values["name"], product.values["description"], product.values["brand"]
    result = check(presets, context, product)
    assert (result.required, result.present, result.percent) == (10, 7, 70)
    assert result.missing == ["title", "description", "brand"]


def test_bare_product_is_scored_on_what_the_hub_always_projects(presets, context):
    result = check(presets, context, ProductRecord(sku="BARE"))
    # id, sku, link and availability come from the record and the channel, not attributes.
    assert (result.present, result.percent) == (4, 40)


def test_family_requirements_are_counted_at_their_output_field(presets, context):
    variant, ancestors = apparel_chain()
    result = check(presets, context, variant, ancestors, requirements=["name", "material"])
    # name is carried by title (already required by the schema); material by attributes.
    assert result.required == 11
    assert result.percent == 100


def test_missing_family_requirement_lowers_percent_and_is_an_error(presets, context):
    variant, ancestors = apparel_chain()
    del ancestors[1].values["material"]
    result = check(presets, context, variant, ancestors, requirements=["material"])
    assert result.percent == 90
    [error] = result.errors
    assert (error.field, error.attribute, error.locale, error.keyword) == (
        "/attributes/material",
        "material",
        "en_GB",
        "familyRequirement",
    )


def test_family_required_axis_is_counted_under_axes(presets, context):
    variant, ancestors = apparel_chain()
    result = check(presets, context, variant, ancestors, requirements=["colour"])
    assert result.required == 11
    assert result.missing == []


def test_present_but_invalid_field_counts_as_present_and_fails(presets, context):
    product = electronics_product(values={"ean": [value("5012345678901")]})
    result = check(presets, context, product)
    assert result.percent == 100
    assert not result.passed
    assert [e.attribute for e in result.errors] == ["ean"]


def test_empty_text_counts_as_missing(presets, context):
    product = electronics_product(values={"name": [value("", "en_GB")]})
    assert check(presets, context, product).missing == ["title"]


def test_check_result_is_json_safe(presets, context):
    import json

    result = check(presets, context, ProductRecord(sku="BARE"))
    assert json.loads(json.dumps(result.as_dict()))["percent"] == 40
