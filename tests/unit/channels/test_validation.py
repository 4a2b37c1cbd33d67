"""Each preset's schema accepts a complete variant and refuses broken ones, with every error
mapped back to the attribute, locale and scope to fix. Run on both engines."""

from __future__ import annotations

import pytest

from channels import build_validator, check_variant, load_schema, project_variant
from tests.unit.channels.catalog import (
    apparel_chain,
    electronics_product,
    prices,
    spare_part,
    value,
)

ENGINES = ["rust", "python"]


def complete_product_for(code):
    if code == "distributor-eu":
        return spare_part(), []
    if code == "shopify-store":
        return apparel_chain()
    product = electronics_product()
    product.values["description"].append(value("<p>Geschlossener Studiokopfhörer.</p>", "de_DE"))
    return product, []


def check(presets, context, code, product, ancestors=(), *, engine="rust", locale=None, **kw):
    channel = presets[code]
    variant = project_variant(product, ancestors, channel, context, locale or channel.locales[0])
    validator = build_validator(load_schema(channel.schema_file), engine)
    return check_variant(variant, channel, validator, context=context, **kw)


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.mark.parametrize(
    "code",
    [
        "webshop-uk",
        "webshop-ie",
        "distributor-eu",
        "google-retail",
        "shopify-store",
        "magento-store",
    ],
)
def test_preset_schema_accepts_a_complete_variant(presets, context, engine, code):
    product, ancestors = complete_product_for(code)
    result = check(presets, context, code, product, ancestors, engine=engine)
    assert result.errors == []
    assert result.passed
    assert result.percent == 100


def test_missing_title_points_at_the_name_attribute_in_the_variant_locale(presets, context, engine):
    product = electronics_product()
    del product.values["name"]
    result = check(presets, context, "webshop-uk", product, engine=engine)
    [error] = result.errors
    assert error.as_dict() == {
        "field": "/title",
        "attribute": "name",
        "locale": "en_GB",
        "scope": None,
        "keyword": "required",
        "message": "title is required",
    }


def test_error_on_a_scopable_attribute_carries_the_channel_as_scope(presets, context, engine):
    product = electronics_product()
    product.values["short_description"] = [value("x" * 1001, "en_GB", "webshop-uk")]
    [error] = check(presets, context, "webshop-uk", product, engine=engine).errors
    assert (error.attribute, error.locale, error.scope) == (
        "short_description",
        "en_GB",
        "webshop-uk",
    )
    assert error.message == "short_description is longer than 1000 characters (1001)"


def test_non_localizable_attribute_error_has_no_locale(presets, context, engine):
    product = electronics_product()
    del product.values["brand"]
    [error] = check(presets, context, "google-retail", product, engine=engine).errors
    assert (error.field, error.attribute, error.locale, error.scope) == (
        "/brand",
        "brand",
        None,
        None,
    )


def test_price_in_another_currency_only_fails_as_missing_price(presets, context, engine):
    product = electronics_product(values={"price": [value(prices(("79.00", "GBP")))]})
    [error] = check(presets, context, "webshop-ie", product, engine=engine).errors
    assert (error.field, error.attribute, error.keyword) == ("/price", "price", "required")


def test_malformed_amount_points_inside_the_price(presets, context, engine):
    product = electronics_product(values={"price": [value(prices(("12,50", "GBP")))]})
    [error] = check(presets, context, "webshop-uk", product, engine=engine).errors
    assert (error.field, error.attribute, error.keyword) == ("/price/amount", "price", "pattern")


def test_google_title_over_150_characters_is_refused(presets, context, engine):
    product = electronics_product(values={"name": [value("T" * 151, "en_GB")]})
    [error] = check(presets, context, "google-retail", product, engine=engine).errors
    assert (error.field, error.attribute, error.keyword) == ("/title", "name", "maxLength")


def test_google_id_over_50_characters_is_refused(presets, context, engine):
    product = electronics_product(sku="S" * 51)
    errors = check(presets, context, "google-retail", product, engine=engine).errors
    assert [(e.field, e.keyword, e.attribute) for e in errors] == [
        ("/id", "maxLength", None),
        ("/sku", "maxLength", None),
    ]


def test_google_description_over_5000_characters_is_refused(presets, context, engine):
    product = electronics_product(values={"description": [value("d" * 5001, "en_GB")]})
    [error] = check(presets, context, "google-retail", product, engine=engine).errors
    assert (error.attribute, error.keyword) == ("description", "maxLength")


def test_google_needs_a_gtin_or_an_mpn(presets, context, engine):
    product = electronics_product()
    del product.values["ean"], product.values["mpn"]
    [error] = check(presets, context, "google-retail", product, engine=engine).errors
    assert (error.field, error.attribute, error.keyword) == ("/gtin", "ean", "anyOf")
    assert error.message == "one of gtin or mpn is required"


def test_google_accepts_an_mpn_without_a_gtin(presets, context, engine):
    product = electronics_product()
    del product.values["ean"]
    assert check(presets, context, "google-retail", product, engine=engine).passed


def test_distributor_refuses_prices_in_another_currency_for_tiers(presets, context, engine):
    product = spare_part()
    product.values["price"] = [value(prices(("120.00", "EUR")))]
    [error] = check(presets, context, "distributor-eu", product, engine=engine).errors
    assert (error.field, error.attribute, error.keyword) == ("/tier_prices", "price", "required")


def test_stock_field_errors_point_at_no_attribute(presets, context, engine):
    product = electronics_product()
    check_result = check(presets, context, "webshop-uk", product, engine=engine)
    channel = presets["webshop-uk"].model_copy(update={"stock_sources": ()})
    variant = project_variant(product, [], channel, context, "en_GB")
    validator = build_validator(load_schema(channel.schema_file), engine)
    [error] = check_variant(variant, channel, validator, context=context).errors
    assert check_result.passed
    assert (error.field, error.attribute) == ("/availability", None)


def test_errors_are_listed_in_the_same_order_by_both_engines(presets, context):
    product = electronics_product(sku="S" * 51)
    del product.values["brand"]
    product.values["ean"] = [value("5012345678901")]
    results = [
        [e.as_dict() for e in check(presets, context, "google-retail", product, engine=e).errors]
        for e in ENGINES
    ]
    assert results[0] == results[1]
    assert [e["field"] for e in results[0]] == ["/brand", "/gtin", "/id", "/sku"]


def test_problems_convert_attribute_errors_to_value_problems(presets, context):
    product = electronics_product()
    del product.values["name"]
    [problem] = check(presets, context, "webshop-uk", product).problems()
    assert str(problem) == "name [en_GB]: title is required"


def test_build_validator_is_cached_per_schema(presets):
    schema = load_schema(presets["webshop-uk"].schema_file)
    assert build_validator(schema) is build_validator(dict(schema))
