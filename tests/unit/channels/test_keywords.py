"""The custom keywords and the gtin format, through both engines."""

from __future__ import annotations

import pytest

from channels import build_validator
from channels.keywords import is_gtin

ENGINES = ["rust", "python"]

PRICES_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "dependentSchemas": {
        "sale_price": {"x-lessThanField": {"field": "sale_price", "than": "price"}},
        "map_price": {"x-priceAtLeast": {"field": "price", "atLeast": "map_price"}},
    },
    "properties": {
        "gtin": {"type": "string", "format": "gtin"},
        "tier_prices": {"type": "array", "x-ascendingBy": {"key": "min_quantity"}},
    },
}


def money(amount, currency="GBP"):
    return {"amount": amount, "currency": currency}


@pytest.fixture(params=ENGINES)
def validator(request):
    return build_validator(PRICES_SCHEMA, request.param)


@pytest.mark.parametrize(
    "gtin", ["96385074", "036000291452", "5012345678900", "4006381333931", "10614141000415"]
)
def test_gtin_with_a_valid_check_digit_passes(gtin):
    assert is_gtin(gtin)


@pytest.mark.parametrize(
    "gtin",
    ["5012345678901", "036000291453", "50123456789000x", "123456789", "", "５０１２３４５６"],
)
def test_gtin_with_a_wrong_check_digit_length_or_characters_fails(gtin):
    assert not is_gtin(gtin)


def test_gtin_format_is_asserted(validator):
    [violation] = validator.violations({"gtin": "5012345678901"})
    assert (violation.path, violation.keyword) == (("gtin",), "format")


def test_sale_price_below_price_passes(validator):
    assert validator.is_valid({"price": money("10.00"), "sale_price": money("9.99")})


def test_sale_price_equal_to_price_fails(validator):
    [violation] = validator.violations({"price": money("10.00"), "sale_price": money("10.0")})
    assert (violation.path, violation.keyword) == (("sale_price",), "x-lessThanField")
    assert "must be less than price" in violation.engine_message


def test_sale_price_in_another_currency_is_not_compared(validator):
    assert validator.is_valid({"price": money("10.00"), "sale_price": money("12.00", "EUR")})


def test_price_below_the_minimum_advertised_price_fails(validator):
    [violation] = validator.violations({"price": money("8.00"), "map_price": money("9.00")})
    assert (violation.path, violation.keyword) == (("price",), "x-priceAtLeast")
    assert "below the minimum advertised price" in violation.engine_message


def test_price_at_the_minimum_advertised_price_passes(validator):
    assert validator.is_valid({"price": money("9.00"), "map_price": money("9.00")})


def test_tier_quantities_must_strictly_ascend(validator):
    tiers = [{"min_quantity": 10}, {"min_quantity": 10}]
    [violation] = validator.violations({"tier_prices": tiers})
    assert (violation.path, violation.keyword) == (("tier_prices",), "x-ascendingBy")


def test_ascending_tier_quantities_pass(validator):
    assert validator.is_valid({"tier_prices": [{"min_quantity": 5}, {"min_quantity": 50}]})


def test_malformed_amount_is_left_to_the_pattern_keyword(validator):
    assert validator.is_valid({"price": money("ten"), "sale_price": money("9.00")})


def test_unknown_engine_is_python_when_asked(validator):
    assert validator.engine in ENGINES
