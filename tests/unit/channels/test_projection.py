from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from channels import canonical_json, content_hash, project_product, project_variant
from pim.records import AssetFacts, CategorySpec, ProductRecord
from tests.unit.channels.catalog import (
    apparel_chain,
    electronics_product,
    prices,
    spare_part,
    value,
)


def fields_of(product, ancestors, channel, context, locale=None):
    locale = locale or channel.locales[0]
    return project_variant(product, ancestors, channel, context, locale).fields


# --- Inheritance.


def test_variant_inherits_values_from_its_parent(presets, context):
    variant, (red, root) = apparel_chain()
    fields = fields_of(variant, [red], presets["webshop-uk"], context)
    assert fields["axes"]["colour"] == "Red"


def test_variant_inherits_values_from_two_ancestor_levels(presets, context):
    variant, ancestors = apparel_chain()
    fields = fields_of(variant, ancestors, presets["webshop-uk"], context)
    assert fields["title"] == "Oxford shirt"
    assert fields["brand"] == "Tailor & Co"


def test_nearest_ancestor_value_wins_over_the_root(presets, context):
    variant, ancestors = apparel_chain()
    fields = fields_of(variant, ancestors, presets["webshop-uk"], context)
    assert fields["images"] == ["https://hub.example/media/large/products/shirt/red.jpg"]


def test_product_own_value_wins_over_ancestors(presets, context):
    variant, ancestors = apparel_chain()
    variant.values["name"] = [value("Oxford shirt, red, M", "en_GB")]
    fields = fields_of(variant, ancestors, presets["webshop-uk"], context)
    assert fields["title"] == "Oxford shirt, red, M"


def test_variant_owns_its_axis_values(presets, context):
    variant, ancestors = apparel_chain()
    fields = fields_of(variant, ancestors, presets["webshop-uk"], context)
    assert fields["axes"] == {"colour": "Red", "size": "Medium"}


def test_parent_sku_is_the_root_model_by_default(presets, context):
    variant, ancestors = apparel_chain()  # size M under colour red under SHIRT
    fields = fields_of(variant, ancestors, presets["webshop-uk"], context)
    assert fields["parent_sku"] == "SHIRT"
    assert fields["axes"] == {"colour": "Red", "size": "Medium"}  # every level's axis


def test_a_channel_may_group_variants_by_their_nearest_model(presets, context):
    variant, ancestors = apparel_chain()
    channel = presets["webshop-uk"].model_copy(update={"group_variants_by": "parent_model"})
    assert fields_of(variant, ancestors, channel, context)["parent_sku"] == "SHIRT-RED"


def test_categories_and_associations_are_inherited(presets, context):
    variant, ancestors = apparel_chain()
    fields = fields_of(variant, ancestors, presets["webshop-uk"], context)
    assert fields["categories"] == ["Shop > Clothing > Shirts"]
    assert fields["associations"] == {
        "cross_sell": [{"sku": "TIE-1", "quantity": None}],
        "upsell": [{"sku": "SHIRT-PREMIUM", "quantity": None}],
    }


# --- Locale and scope.


def test_localizable_value_is_taken_in_the_variant_locale(presets, context):
    fields = fields_of(spare_part(), [], presets["distributor-eu"], context, "de_DE")
    assert fields["title"] == "Antriebsmotor 7"


def test_declared_fallback_locale_fills_a_missing_locale(presets, context):
    fields = fields_of(electronics_product(), [], presets["webshop-ie"], context, "en_IE")
    assert fields["title"] == "Studio headphones"


def test_exact_locale_wins_over_the_fallback(presets, context):
    product = electronics_product()
    product.values["name"].append(value("Studio headphones (IE)", "en_IE"))
    fields = fields_of(product, [], presets["webshop-ie"], context, "en_IE")
    assert fields["title"] == "Studio headphones (IE)"


def test_exact_locale_on_an_ancestor_wins_over_fallback_on_the_product(presets, context):
    variant, ancestors = apparel_chain()
    variant.values["name"] = [value("Shirt (GB copy)", "en_GB")]
    ancestors[1].values["name"].append(value("Shirt (IE copy)", "en_IE"))
    fields = fields_of(variant, ancestors, presets["webshop-ie"], context, "en_IE")
    assert fields["title"] == "Shirt (IE copy)"


def test_no_fallback_when_the_channel_declares_none(presets, context):
    product = electronics_product()
    product.values["description"] = [value("<p>English only</p>", "en_GB")]
    fields = fields_of(product, [], presets["magento-store"], context, "de_DE")
    assert "description" not in fields


def test_non_localizable_value_is_read_with_locale_none(presets, context):
    product = electronics_product()
    product.values["brand"] = [value("Wrong", "en_GB"), value("Acme")]
    assert fields_of(product, [], presets["webshop-uk"], context)["brand"] == "Acme"


def test_scopable_value_is_read_for_the_channel_code(presets, context):
    product = electronics_product()
    product.values["short_description"] = [
        value("UK summary", "en_GB", "webshop-uk"),
        value("Magento summary", "en_GB", "magento-store"),
    ]
    assert fields_of(product, [], presets["webshop-uk"], context)["short_description"] == (
        "UK summary"
    )


def test_scopable_value_of_another_channel_is_not_used(presets, context):
    product = electronics_product()
    product.values["short_description"] = [value("Magento summary", "en_GB", "magento-store")]
    assert "short_description" not in fields_of(product, [], presets["webshop-uk"], context)


def test_select_option_label_is_given_in_the_locale(presets, context):
    variant, ancestors = apparel_chain()
    fields = fields_of(variant, ancestors, presets["magento-store"], context, "de_DE")
    assert fields["axes"]["colour"] == "Rot"


def test_category_path_uses_labels_in_the_locale(presets, context):
    fields = fields_of(spare_part(), [], presets["distributor-eu"], context, "de_DE")
    assert fields["categories"] == ["Ersatzteile > Motoren"]


def test_project_product_gives_one_variant_per_channel_locale(presets, context):
    variants = project_product(spare_part(), [], presets["distributor-eu"], context)
    assert [(v.channel, v.locale) for v in variants] == [
        ("distributor-eu", "de_DE"),
        ("distributor-eu", "en_GB"),
    ]


def test_a_locale_the_channel_does_not_publish_is_refused(presets, context):
    with pytest.raises(ValueError, match="does not publish"):
        project_variant(spare_part(), [], presets["webshop-uk"], context, "de_DE")


# --- Prices.


def test_price_is_taken_in_the_channel_currency(presets, context):
    fields = fields_of(electronics_product(), [], presets["webshop-ie"], context)
    assert fields["price"] == {"amount": "89.00", "currency": "EUR"}


def test_missing_channel_currency_means_no_price_not_a_conversion(presets, context):
    product = electronics_product(values={"price": [value(prices(("79.00", "GBP")))]})
    assert "price" not in fields_of(product, [], presets["webshop-ie"], context)


def test_amounts_are_canonical_decimal_strings(presets, context):
    product = electronics_product(values={"price": [value(prices(("79.5", "GBP")))]})
    assert fields_of(product, [], presets["webshop-uk"], context)["price"]["amount"] == "79.50"


def test_tier_prices_come_from_entries_with_min_quantity_in_ascending_order(presets, context):
    fields = fields_of(spare_part(), [], presets["distributor-eu"], context)
    assert fields["price"] == {"amount": "120.00", "currency": "EUR"}
    assert fields["tier_prices"] == [
        {"min_quantity": 10, "amount": "110.00", "currency": "EUR"},
        {"min_quantity": 50, "amount": "95.00", "currency": "EUR"},
    ]


def test_sale_and_map_prices_are_projected(presets, context):
    product = electronics_product()
    product.values["sale_price"] = [value(prices(("69.00", "GBP")))]
    product.values["map_price"] = [value(prices(("65.00", "GBP")))]
    fields = fields_of(product, [], presets["webshop-uk"], context)
    assert fields["sale_price"] == {"amount": "69.00", "currency": "GBP"}
    assert fields["map_price"] == {"amount": "65.00", "currency": "GBP"}


# --- Stock.


def test_availability_sums_only_the_channel_stock_sources(presets, context):
    product = electronics_product(
        stock={"warehouse_uk": Decimal(2), "dropship": Decimal(3), "warehouse_de": Decimal(50)}
    )
    fields = fields_of(product, [], presets["webshop-uk"], context)
    assert (fields["availability"], fields["quantity"]) == ("in_stock", 5)


def test_out_of_stock_when_the_channel_sources_hold_nothing(presets, context):
    product = electronics_product(stock={"warehouse_de": Decimal(50)})
    assert fields_of(product, [], presets["webshop-uk"], context)["availability"] == (
        "out_of_stock"
    )


def test_no_stock_record_counts_as_zero(presets, context):
    product = electronics_product(stock=None)
    fields = fields_of(product, [], presets["webshop-uk"], context)
    assert (fields["availability"], fields["quantity"]) == ("out_of_stock", 0)


def test_channel_rule_decides_what_zero_stock_means(presets, context):
    product = spare_part()
    product.stock = {"warehouse_de": Decimal(0)}
    assert fields_of(product, [], presets["distributor-eu"], context)["availability"] == (
        "backorder"
    )


# --- Media, links, attributes.


def test_a_path_the_hub_did_not_store_is_passed_on_under_the_rendition_name(presets, context):
    fields = fields_of(electronics_product(), [], presets["google-retail"], context)
    assert fields["images"] == ["https://hub.example/media/merchant/products/head-1/main.jpg"]


def test_a_stored_image_is_its_rendition_url_with_its_size(presets, context):
    sha = "ab" * 32
    path = f"ab/ab/{sha}.jpg"
    product = electronics_product(values={"image": [value(path)]})
    channel = presets["google-retail"].model_copy(
        update={"media_base_url": "https://cdn.example/media"})
    facts = {path: AssetFacts(sha, "image/jpeg", 2000, 1000)}
    variant = project_variant(product, [], channel, context, "en_GB", media=facts)
    spec = channel.renditions["merchant"]
    url = f"https://cdn.example/media/r/{spec.spec_hash}/{sha}.jpg"
    assert variant.fields["images"] == [url]
    assert variant.fields["image_renditions"] == [
        {"merchant": {"url": url, "type": "image/jpeg", "width": 1200, "height": 600}}]
    assert variant.problems == []


def test_a_pdf_image_is_left_out_with_a_problem_on_its_attribute(presets, context):
    path = f"cd/cd/{'cd' * 32}.pdf"
    product = electronics_product(values={"image": [value(path)]})
    variant = project_variant(product, [], presets["google-retail"], context, "en_GB",
                              media={path: AssetFacts("cd" * 32, "application/pdf")})
    assert "images" not in variant.fields
    [problem] = variant.problems
    assert problem.attribute == "image" and "PDF document" in problem.message


def test_an_unfetched_http_asset_is_used_as_it_is(presets, context):
    product = electronics_product(values={"image": [value("https://erp.example/img/1.jpg")]})
    assert fields_of(product, [], presets["webshop-uk"], context)["images"] == [
        "https://erp.example/img/1.jpg"
    ]


def test_link_fills_the_product_url_template(presets, context):
    product = electronics_product(sku="HEAD 1/B")
    assert fields_of(product, [], presets["webshop-uk"], context)["link"] == (
        "https://shop.example/p/HEAD%201%2FB"
    )


def test_measurement_is_projected_as_amount_and_unit(presets, context):
    fields = fields_of(electronics_product(), [], presets["webshop-uk"], context)
    assert fields["weight"] == {"amount": "0.35", "unit": "KILOGRAM"}


def test_condition_keeps_its_option_code(presets, context):
    assert (
        fields_of(electronics_product(), [], presets["google-retail"], context)["condition"]
        == "new"
    )


def test_extra_attributes_carry_display_values(presets, context):
    variant, ancestors = apparel_chain()
    fields = fields_of(variant, ancestors, presets["webshop-uk"], context)
    assert fields["attributes"] == {"colour": "Red", "material": "Cotton", "size": "Medium"}


def test_family_required_attribute_not_otherwise_mapped_is_carried(presets, context):
    context.families["electronics"].requirements["webshop-uk"] = ["voltage"]
    product = electronics_product()
    product.values["voltage"] = [value("230.0")]
    fields = fields_of(product, [], presets["webshop-uk"], context)
    assert fields["attributes"]["voltage"] == "230"


def test_missing_values_are_left_out_rather_than_null(presets, context):
    fields = fields_of(ProductRecord(sku="BARE"), [], presets["webshop-uk"], context)
    assert None not in fields.values()
    assert "title" not in fields


def test_updated_at_is_written_as_utc(presets, context):
    moment = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
    variant = project_variant(
        spare_part(), [], presets["distributor-eu"], context, "de_DE", updated_at=moment
    )
    assert variant.fields["updated_at"] == "2025-03-01T12:30:00Z"


# --- Determinism.


def test_same_input_gives_byte_identical_json(presets, context):
    first = project_variant(*apparel_chain(), presets["webshop-uk"], context, "en_GB")
    second = project_variant(*apparel_chain(), presets["webshop-uk"], context, "en_GB")
    assert canonical_json(first.fields) == canonical_json(second.fields)
    assert content_hash(first.fields) == content_hash(second.fields)


def test_order_of_stored_values_does_not_change_the_json(presets, context):
    product = spare_part()
    shuffled = spare_part()
    shuffled.values = dict(reversed(list(shuffled.values.items())))
    shuffled.values["price"][0]["data"].reverse()
    channel = presets["distributor-eu"]
    assert canonical_json(fields_of(product, [], channel, context)) == canonical_json(
        fields_of(shuffled, [], channel, context)
    )


def test_canonical_json_is_json_safe_with_decimals_as_strings(presets, context):
    text = canonical_json(fields_of(spare_part(), [], presets["distributor-eu"], context))
    assert '"amount":"120.00"' in text


@pytest.mark.parametrize(("stored", "shown"), [
    ("12.50", "12.50"), ("-3.10", "-3.10"), ("0.99", "0.99"),  # canonical: kept as they are
    ("012.50", "12.50"), ("1.5", "1.50"), ("1e2", "100.00"), ("12.505", "12.505"),
    (" 12.50", "12.50"), ("١٢.٥٠", "12.50"), ("abc", "abc"), (7, "7.00"),
])
def test_money_amounts_are_shown_with_at_least_two_decimals(stored, shown):
    from channels.resolution import money_amount

    assert money_amount(stored) == shown


def test_a_category_without_a_label_in_the_locale_reads_the_channels_other_locales(
        presets, context):
    # "Audio" has an English label only; the German Magento view shows it, not the code.
    fields = fields_of(electronics_product(), [], presets["magento-store"], context, "de_DE")
    assert fields["categories"] == ["Shop > Audio"]


def test_category_labels_follow_the_declared_fallbacks_before_other_locales(presets, context):
    channel = presets["magento-store"].model_copy(update={
        "locales": ("de_AT", "en_GB", "de_DE"), "fallback_locales": {"de_AT": "de_DE"}})
    context.categories["audio"] = CategorySpec("audio", "master", {"en_GB": "Audio",
                                                                   "de_DE": "Tontechnik"})
    fields = fields_of(electronics_product(), [], channel, context, "de_AT")
    assert fields["categories"] == ["Shop > Tontechnik"]


def test_a_code_is_shown_only_when_no_channel_locale_has_a_label(presets, context):
    context.categories["audio"] = CategorySpec("audio", "master", {})
    fields = fields_of(electronics_product(), [], presets["magento-store"], context, "de_DE")
    assert fields["categories"] == ["Shop > audio"]


def test_option_labels_read_the_channels_other_locales_too(presets, context):
    variant, ancestors = apparel_chain()  # size "m" has an English label only
    fields = fields_of(variant, ancestors, presets["magento-store"], context, "de_DE")
    assert fields["axes"]["size"] == "Medium"
