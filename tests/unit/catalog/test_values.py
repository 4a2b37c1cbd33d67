"""Value validation per attribute type: every refusal names attribute, locale and scope."""

from decimal import Decimal

import pytest

from pim.catalog.values import ValueChecks, sanitize_html, validate_values
from pim.records import AttributeSpec, CatalogContext, UnitFamilySpec
from pim.records import is_gtin as gtin_check_digit_ok


@pytest.fixture
def context() -> CatalogContext:
    specs = [
        AttributeSpec("name", "text", localizable=True, validation={"max_length": 20}),
        AttributeSpec("description", "textarea", localizable=True),
        AttributeSpec("ean", "identifier", validation={"format": "gtin"}),
        AttributeSpec("code", "text", validation={"regex": "^[A-Z]{3}-[0-9]+$"}),
        AttributeSpec("warranty", "number", validation={"decimals": 0, "min": "0", "max": "10"}),
        AttributeSpec("weight", "measurement", unit_family="Weight", default_unit="KILOGRAM"),
        AttributeSpec("price", "price"),
        AttributeSpec("sale", "boolean"),
        AttributeSpec("released", "date"),
        AttributeSpec("colour", "select", options={"red": {}, "blue": {}}),
        AttributeSpec("features", "multiselect", options={"wifi": {}, "usb": {}}),
        AttributeSpec("image", "media"),
        AttributeSpec("teaser", "text", scopable=True),
    ]
    return CatalogContext(
        attributes={s.code: s for s in specs},
        unit_families={"Weight": UnitFamilySpec("Weight", "KILOGRAM",
                                                {"KILOGRAM": Decimal(1), "GRAM": Decimal("0.001")})},
        locales=["en_GB", "de_DE"],
        currencies=["GBP", "EUR"],
    )


def v(data, locale=None, scope=None):
    return [{"locale": locale, "scope": scope, "data": data}]


def problems_of(values, context, **kw):
    _, problems = validate_values(values, context, channels={"webshop-uk"}, **kw)
    return [(p.attribute, p.locale, p.scope, p.message) for p in problems]


def test_gtin_check_digit_is_verified():
    assert gtin_check_digit_ok("5012345678900")
    assert not gtin_check_digit_ok("5012345678901")
    assert gtin_check_digit_ok("96385074")  # GTIN-8


def test_identifier_with_wrong_check_digit_is_refused(context):
    [(attr, _, _, message)] = problems_of({"ean": v("5012345678901")}, context)
    assert attr == "ean" and "check digit" in message


def test_text_longer_than_its_maximum_is_refused_naming_the_locale(context):
    [problem] = problems_of({"name": v("x" * 21, "de_DE")}, context)
    assert problem[:2] == ("name", "de_DE") and "at most 20" in problem[3]


def test_text_must_match_its_pattern(context):
    assert problems_of({"code": v("ABC-12")}, context) == []
    [problem] = problems_of({"code": v("abc")}, context)
    assert "pattern" in problem[3]


@pytest.mark.parametrize("code", [0x00, 0x07, 0x0B, 0x0C, 0x1B, 0x1F])
def test_text_with_a_control_character_is_refused_naming_it(context, code):
    bad = f"Shirt{chr(code)}"
    values = {"name": v(bad, "en_GB"), "description": v(f"<p>{bad}</p>", "en_GB"),
              "code": v(bad)}

    clean, problems = validate_values(values, context, channels={"webshop-uk"})

    refusal = (f"contains the control character U+{code:04X} at position 6; only tab, "
               "line feed and carriage return are allowed")
    assert (problems[0].attribute, problems[0].locale, problems[0].message) == (
        "name", "en_GB", refusal)
    assert "code" in {problem.attribute for problem in problems}
    # Rich text is refused too, unless the sanitizer already dropped the character (NUL).
    assert all(chr(code) not in entry["data"] for entries in clean.values()
               for entry in entries)


def test_tab_and_line_breaks_are_allowed_in_text(context):
    text = "two\tcolumns\r\nand\nlines"
    clean, problems = validate_values({"name": v(text[:20], "en_GB"),
                                       "description": v(f"<p>{text}</p>", "en_GB")},
                                      context, channels={"webshop-uk"})
    assert problems == []
    assert clean["name"][0]["data"] == text[:20]


def test_numbers_become_decimal_text_never_float(context):
    clean, problems = validate_values({"warranty": v(3)}, context)
    assert problems == [] and clean["warranty"][0]["data"] == "3"


def test_number_with_decimals_beyond_the_rule_is_refused(context):
    [problem] = problems_of({"warranty": v("2.5")}, context)
    assert "whole number" in problem[3]


def test_number_outside_min_max_is_refused(context):
    [problem] = problems_of({"warranty": v("11")}, context)
    assert "at most 10" in problem[3]


def test_measurement_unit_must_belong_to_the_unit_family(context):
    [problem] = problems_of({"weight": v({"amount": "1", "unit": "METER"})}, context)
    assert "METER" in problem[3] and "Weight" in problem[3]


def test_measurement_without_unit_takes_the_default_unit(context):
    clean, _ = validate_values({"weight": v({"amount": "1.50"})}, context)
    assert clean["weight"][0]["data"] == {"amount": "1.5", "unit": "KILOGRAM"}


def test_prices_are_decimal_text_with_two_places_and_sorted(context):
    clean, problems = validate_values(
        {"price": v([{"amount": "10", "currency": "GBP"}, {"amount": 9.5, "currency": "EUR"}])},
        context)
    assert problems == []
    assert clean["price"][0]["data"] == [{"amount": "9.50", "currency": "EUR"},
                                         {"amount": "10.00", "currency": "GBP"}]


def test_a_currency_code_is_upper_cased(context):
    clean, problems = validate_values({"price": v([{"amount": "1", "currency": "eur"}])},
                                      context)
    assert problems == [] and clean["price"][0]["data"] == [{"amount": "1.00",
                                                             "currency": "EUR"}]


@pytest.mark.parametrize("text", ["abc", "Infinity", "NaN", ""])
def test_number_text_that_is_no_finite_number_is_refused(context, text):
    [problem] = problems_of({"weight": v({"amount": text})}, context)
    assert repr(text) in problem[3]


def test_number_text_is_trimmed(context):
    clean, problems = validate_values({"warranty": v(" 3 ")}, context)
    assert problems == [] and clean["warranty"][0]["data"] == "3"


def test_price_in_a_disabled_currency_is_refused(context):
    [problem] = problems_of({"price": v([{"amount": "1", "currency": "USD"}])}, context)
    assert "USD" in problem[3]


def test_quantity_tiers_are_kept_and_duplicates_refused(context):
    tiers = [{"amount": "10", "currency": "EUR"},
             {"amount": "9", "currency": "EUR", "min_quantity": 10}]
    clean, problems = validate_values({"price": v(tiers)}, context)
    assert problems == [] and clean["price"][0]["data"][1]["min_quantity"] == 10
    [problem] = problems_of({"price": v(tiers + [tiers[1]])}, context)
    assert "two EUR prices for quantity 10" in problem[3]


def test_select_option_must_exist(context):
    [problem] = problems_of({"colour": v("green")}, context)
    assert problem[0] == "colour" and "green" in problem[3]


def test_multiselect_refuses_unknown_options(context):
    [problem] = problems_of({"features": v(["wifi", "laser"])}, context)
    assert "laser" in problem[3]


@pytest.mark.parametrize("given", [["usb", "wifi"], ["wifi", "usb"], ["usb", "wifi", "usb"]])
def test_a_multiselect_is_stored_once_each_in_the_option_order(context, given):
    clean, problems = validate_values({"features": v(given)}, context)
    assert not problems
    assert clean["features"][0]["data"] == ["wifi", "usb"]


def test_date_must_be_iso_8601(context):
    assert problems_of({"released": v("2026-02-30")}, context)
    clean, _ = validate_values({"released": v("2026-02-28")}, context)
    assert clean["released"][0]["data"] == "2026-02-28"


def test_boolean_refuses_text(context):
    assert problems_of({"sale": v("yes")}, context)


def test_rich_text_is_sanitized(context):
    clean, problems = validate_values(
        {"description": v('<p onclick="x()">Hi<script>alert(1)</script></p>', "en_GB")}, context)
    assert problems == []
    assert clean["description"][0]["data"] == "<p>Hi</p>"
    assert "javascript" not in sanitize_html('<a href="javascript:alert(1)">x</a>')


def test_links_in_rich_text_keep_href_and_title_and_get_a_safe_rel():
    assert sanitize_html('<a href="https://x.test" title="t" rel="nofollow" class="c">x</a>') \
        == '<a href="https://x.test" title="t" rel="noopener noreferrer">x</a>'
    assert sanitize_html('<td colspan="2" style="x">c</td><img src="x">') == "c"


def test_media_path_may_not_escape_the_media_folder(context):
    assert problems_of({"image": v("../../etc/passwd")}, context)
    assert problems_of({"image": v("products/a.jpg")}, context) == []


def test_localizable_value_needs_a_locale(context):
    [problem] = problems_of({"name": v("Speaker")}, context)
    assert problem[:3] == ("name", None, None) and "localizable" in problem[3]


def test_unknown_locale_is_refused(context):
    [problem] = problems_of({"name": v("Speaker", "xx_XX")}, context)
    assert problem[1] == "xx_XX"


def test_scopable_value_names_its_scope_and_unknown_channels_are_refused(context):
    [problem] = problems_of({"teaser": v("Hi", None, "nowhere")}, context)
    assert problem[2] == "nowhere" and "does not exist" in problem[3]
    assert problems_of({"teaser": v("Hi", None, "webshop-uk")}, context) == []


def test_unknown_attribute_is_refused(context):
    [problem] = problems_of({"nope": v("x")}, context)
    assert problem[0] == "nope"


def test_attribute_outside_the_family_is_refused(context):
    [problem] = problems_of({"sale": v(True)}, context, allowed_attributes={"name"})
    assert "family" in problem[3]


def test_null_data_passes_through_to_clear_a_value(context):
    clean, problems = validate_values({"colour": v(None)}, context)
    assert problems == [] and clean["colour"][0]["data"] is None


def test_checks_reused_across_a_batch_give_the_same_answers_as_fresh_ones(context):
    checks = ValueChecks(context)
    channels = frozenset({"webshop-uk"})
    batch = [
        {"name": v("Speaker", "en_GB"), "warranty": v("2"), "price": v({"amount": "12",
                                                                       "currency": "gbp"})},
        {"name": v("x" * 21, "en_GB"), "warranty": v("2.5"), "teaser": v("Hi", None, "nowhere")},
        {"name": v("Speaker", None), "weight": v({"amount": "1.50", "unit": "GRAM"}),
         "colour": v("red"), "released": v("2025-06-01T10:00")},
        {"name": v("Speaker", "en_GB") + v("Lautsprecher", "en_GB"), "ean": v("5012345678901")},
    ] * 2
    for values in batch:
        assert (validate_values(values, context, channels=channels, checks=checks)
                == validate_values(values, context, channels=channels))


def test_reused_checks_follow_a_changed_attribute_and_new_options(context):
    checks = ValueChecks(context)
    assert validate_values({"warranty": v("12")}, context, checks=checks)[1]
    context.attributes["warranty"] = AttributeSpec("warranty", "number",
                                                   validation={"max": "20"})
    context.attributes["colour"].options["green"] = {}
    clean, problems = validate_values({"warranty": v("12"), "colour": v("green")}, context,
                                      checks=checks)
    assert problems == []
    assert (clean["warranty"][0]["data"], clean["colour"][0]["data"]) == ("12", "green")
