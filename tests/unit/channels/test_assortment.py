from __future__ import annotations

from channels import in_assortment, skus_exclusive_elsewhere
from tests.unit.channels.catalog import apparel_chain, electronics_product, spare_part


def with_assortment(channel, **rules):
    return channel.model_copy(update={"assortment": channel.assortment.model_copy(update=rules)})


def test_product_under_a_channel_category_root_is_in(presets, context):
    assert in_assortment(electronics_product(), [], presets["webshop-uk"], context)


def test_product_outside_the_channel_category_roots_is_out(presets, context):
    product = electronics_product(categories=["motors"])
    assert not in_assortment(product, [], presets["webshop-uk"], context)


def test_product_of_another_family_is_out(presets, context):
    assert not in_assortment(spare_part(), [], presets["webshop-uk"], context)


def test_variant_matches_by_the_family_and_categories_of_its_models(presets, context):
    variant, ancestors = apparel_chain()
    assert in_assortment(variant, ancestors, presets["webshop-uk"], context)


def test_include_list_adds_a_product_the_filters_would_leave_out(presets, context):
    channel = with_assortment(presets["webshop-uk"], include_skus=("MOTOR-7",))
    assert in_assortment(spare_part(), [], channel, context)


def test_exclude_list_removes_a_product(presets, context):
    channel = with_assortment(presets["webshop-uk"], exclude_skus=("HEAD-1",))
    assert not in_assortment(electronics_product(), [], channel, context)


def test_excluding_a_product_model_excludes_its_variants(presets, context):
    channel = with_assortment(presets["webshop-uk"], exclude_skus=("SHIRT",))
    variant, ancestors = apparel_chain()
    assert not in_assortment(variant, ancestors, channel, context)


def test_product_exclusive_to_another_channel_is_out(presets, context):
    shopify = with_assortment(presets["shopify-store"], exclusive_skus=("HEAD-1",))
    channels = [presets["webshop-uk"], shopify]
    elsewhere = skus_exclusive_elsewhere("webshop-uk", channels)
    assert not in_assortment(electronics_product(), [], presets["webshop-uk"], context, elsewhere)


def test_product_exclusive_to_this_channel_is_in_even_outside_its_filters(presets, context):
    shopify = with_assortment(presets["shopify-store"], exclusive_skus=("HEAD-1",))
    elsewhere = skus_exclusive_elsewhere("shopify-store", [presets["webshop-uk"], shopify])
    assert in_assortment(electronics_product(), [], shopify, context, elsewhere)


def test_channel_without_filters_carries_everything(presets, context):
    channel = with_assortment(presets["webshop-uk"], category_roots=(), families=())
    assert in_assortment(spare_part(), [], channel, context)
