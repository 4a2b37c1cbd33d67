"""A version's diff as a person reads it (pim.web.diffs): labels, locale and channel split
right, values shown as values, sets as added/removed, long texts as a word diff."""

from __future__ import annotations

from decimal import Decimal

from pim.records import AttributeSpec, CatalogContext, UnitFamilySpec
from pim.web.diffs import readable_diff, split_value_field, word_diff

CONTEXT = CatalogContext(
    attributes={
        "name": AttributeSpec("name", "text", localizable=True, labels={"en_GB": "Name"}),
        "teaser": AttributeSpec("teaser", "text", localizable=True, scopable=True),
        "price": AttributeSpec("price", "price", scopable=True, labels={"en_GB": "Price"}),
        "colour": AttributeSpec("colour", "select", options={"red": {"en_GB": "Red"}}),
        "features": AttributeSpec("features", "multiselect",
                                  options={"wifi": {"en_GB": "Wi-Fi"}, "bt": {}}),
        "weight": AttributeSpec("weight", "measurement", unit_family="weight"),
    },
    unit_families={"weight": UnitFamilySpec("weight", "KILOGRAM", {"KILOGRAM": Decimal(1)},
                                            {"KILOGRAM": "kg"})},
    locales=["en_GB", "de_DE"],
)


def test_a_channel_code_with_dashes_stays_whole_after_the_locale():
    assert split_value_field("teaser-en_GB-webshop-uk", CONTEXT) == (
        "teaser", "en_GB", "webshop-uk")
    assert split_value_field("price-webshop-uk", CONTEXT) == ("price", None, "webshop-uk")
    assert split_value_field("name-de_DE", CONTEXT) == ("name", "de_DE", None)
    assert split_value_field("colour", CONTEXT) == ("colour", None, None)


def test_an_attribute_since_deleted_still_splits_by_the_shape_of_a_locale():
    assert split_value_field("gone-fr_FR-shop", CONTEXT) == ("gone", "fr_FR", "shop")
    assert split_value_field("gone-shop", CONTEXT) == ("gone", None, "shop")


def test_values_read_as_labels_amounts_and_units():
    [price, colour, weight] = readable_diff([
        {"field": "values.weight", "old": {"amount": "1.2", "unit": "KILOGRAM"}, "new": None},
        {"field": "values.colour", "old": None, "new": "red"},
        {"field": "values.price-webshop-uk", "old": [{"amount": "9.99", "currency": "GBP"}],
         "new": [{"amount": "12.50", "currency": "GBP"}]},
    ], CONTEXT)  # in the catalog's attribute order
    assert (price.label, price.rows[0].scope, price.rows[0].old, price.rows[0].new) == (
        "Price", "webshop-uk", "9.99 GBP", "12.50 GBP")
    assert (colour.rows[0].old, colour.rows[0].new) == ("", "Red")
    assert (weight.rows[0].old, weight.rows[0].new) == ("1.2 kg", "")


def test_sets_show_what_was_added_and_removed():
    [categories, features] = readable_diff([
        {"field": "values.features", "old": ["wifi"], "new": ["bt"]},
        {"field": "categories", "old": ["audio", "tv"], "new": ["audio"]},
    ], CONTEXT)
    assert (features.rows[0].added, features.rows[0].removed) == (["bt"], ["Wi-Fi"])
    assert (categories.label, categories.rows[0].removed, categories.rows[0].added) == (
        "Categories", ["tv"], [])


def test_a_long_text_reads_as_a_word_diff_without_its_tags():
    old = "<p>A sturdy speaker for the kitchen, with a battery that lasts all day long.</p>"
    new = "<p>A sturdy speaker for the garden, with a battery that lasts all day long.</p>"
    [name] = readable_diff([{"field": "values.name-en_GB", "old": old, "new": new}], CONTEXT)
    words = name.rows[0].words
    assert ("del", "kitchen, ") in words and ("ins", "garden, ") in words
    assert "".join(t for k, t in words if k != "ins").startswith("A sturdy speaker")


def test_a_word_diff_reads_a_bounded_length():
    parts = word_diff("word " * 100_000, "other " * 100_000)
    assert sum(len(t) for _, t in parts) <= 2 * 4000
