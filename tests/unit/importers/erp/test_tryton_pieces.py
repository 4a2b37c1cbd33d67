"""The Tryton connector's pure pieces: price list formulas and tiers, the JSON-RPC encoding,
and the redaction of credentials."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from importers.erp.http import Redactor, where
from importers.erp.rest import next_link
from importers.erp.tryton import decode, encode
from importers.erp.tryton_prices import (
    Formula,
    FormulaError,
    PriceList,
    PriceListLine,
    with_ancestors,
)
from importers.erp.values import amount_text, quantity


@pytest.mark.parametrize(("text", "expected"), [
    ("unit_price", "10.0000"),
    ("unit_price * 0.9", "9.0000"),
    ("unit_price * Decimal('0.8') - 1", "7.0000"),
    ("max(cost_price, list_price / 3)", "4.0000"),
    ("-unit_price + 20", "10.0000"),
    ("unit_price * 1.1 if unit_price > 5 else unit_price", "11.0000"),
    ("unit_price / 3", "3.3333"),
])
def test_formulas_evaluate_like_tryton(text, expected):
    names = {"unit_price": Decimal(10), "list_price": Decimal(10), "cost_price": Decimal(4)}
    assert Formula.parse(text).evaluate(names) == Decimal(expected)


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "unit_price.__class__", "[1, 2]", "open('x')",
    "lambda: 1", "unknown_name * 2", "unit_price ** 2 if x else 1",
])
def test_formulas_outside_the_whitelist_are_refused(text):
    with pytest.raises(FormulaError):
        Formula.parse(text)


def test_a_formula_over_an_empty_price_is_empty():
    assert Formula.parse("unit_price * 2").evaluate({"unit_price": None}) is None


def test_tiers_follow_the_first_matching_line():
    lines = [PriceListLine(7, None, None, Formula.parse("unit_price * 0.5")),
             PriceListLine(None, 3, Decimal(10), Formula.parse("unit_price * 0.9")),
             PriceListLine(None, None, Decimal(50), Formula.parse("unit_price * 0.8")),
             PriceListLine(None, None, None, Formula.parse("unit_price"))]
    prices = PriceList(1, "Trade", "EUR", "list_price", lines)
    common = {"list_price": Decimal(20), "cost_price": Decimal(8)}
    assert prices.tiers(product=7, categories={3}, **common) == [
        {"amount": Decimal("10.0000"), "currency": "EUR"}]
    assert prices.tiers(product=8, categories={3}, **common) == [
        {"amount": Decimal("20.0000"), "currency": "EUR"},
        {"amount": Decimal("18.0000"), "currency": "EUR", "min_quantity": 10}]
    # Quantity 50 is matched by the category line first: Tryton takes the first match.
    assert prices.tiers(product=9, categories=set(), **common) == [
        {"amount": Decimal("20.0000"), "currency": "EUR"},
        {"amount": Decimal("16.0000"), "currency": "EUR", "min_quantity": 50}]


def test_categories_match_through_their_parents():
    assert with_ancestors([5], {5: 3, 3: 1, 1: None}) == {5, 3, 1}


def test_json_rpc_values_round_trip():
    moment = datetime(2026, 12, 7, 4, 11, 1, 332939, tzinfo=UTC)
    body = b'{"result": [{"d": {"__class__": "Decimal", "decimal": "19.90"}, "t": ' \
           b'{"__class__": "datetime", "year": 2026, "month": 12, "day": 7, "hour": 4, ' \
           b'"minute": 11, "second": 1, "microsecond": 332939}}]}'
    assert decode(body) == {"result": [{"d": Decimal("19.90"), "t": moment}]}
    assert encode([("last_modified_at", ">=", moment)])[0][2]["__class__"] == "datetime"
    assert encode(Decimal("1.5")) == {"__class__": "Decimal", "decimal": "1.5"}


def test_amounts_keep_two_places_at_least():
    assert amount_text(Decimal("19.9000")) == "19.90"
    assert amount_text(Decimal("19.1234")) == "19.1234"
    assert amount_text(20) == "20.00"
    assert quantity(12.0) == Decimal(12) and quantity(None) == Decimal(0)


def test_the_redactor_hides_given_secrets_and_credential_shapes():
    redact = Redactor(["hunter2-secret"])
    text = ("login failed for hunter2-secret at http://pim:pw@erp.local/rpc "
            "Authorization: Bearer abc.def Session YWRtaW46MTpzZXNz password=letmein")
    cleaned = redact(text)
    for secret in ("hunter2-secret", "pim:pw", "abc.def", "YWRtaW46MTpzZXNz", "letmein"):
        assert secret not in cleaned
    assert where("https://u:p@erp.local:8443/api/x?token=abc") == "https://erp.local:8443/api/x"


def test_next_links_are_read_per_rfc_8288():
    header = '<https://a/p?page=1>; rel="prev", <https://a/p?page=3>; rel="next last"'
    assert next_link(header) == "https://a/p?page=3"
    assert next_link('<https://a/p?page=2>; rel=next') == "https://a/p?page=2"
    assert next_link('<https://a/p>; rel="first"') is None and next_link(None) is None
