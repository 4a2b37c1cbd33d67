from __future__ import annotations

from decimal import Decimal

from channels import ChannelListing, find_conflicts, listing_from_variant, project_variant
from tests.unit.channels.catalog import electronics_product, prices, value


def listing(channel, price, currency="GBP", *, map_price=None, sku="HEAD-1", in_range=True):
    return ChannelListing(
        sku,
        channel,
        currency,
        Decimal(price),
        Decimal(map_price) if map_price else None,
        in_range,
    )


def test_prices_within_tolerance_are_no_conflict():
    report = find_conflicts(
        [listing("webshop-uk", "100.00"), listing("google-retail", "104.00")],
        tolerance_percent=Decimal(5),
    )
    assert not report


def test_prices_beyond_tolerance_are_reported_lowest_and_highest():
    report = find_conflicts(
        [
            listing("webshop-uk", "100.00"),
            listing("google-retail", "110.00"),
            listing("shopify-store", "103.00"),
        ],
        tolerance_percent=Decimal(5),
    )
    [conflict] = report.price_conflicts
    assert conflict.lowest == ("webshop-uk", Decimal("100.00"))
    assert conflict.highest == ("google-retail", Decimal("110.00"))
    assert conflict.difference_percent == Decimal("10.00")
    assert conflict.message == (
        "HEAD-1 costs 100.00 GBP in webshop-uk but 110.00 GBP in google-retail "
        "(10.00% apart, tolerance 5%)"
    )


def test_per_channel_tolerance_holds_a_pair_to_the_stricter_one():
    listings = [listing("webshop-uk", "100.00"), listing("google-retail", "104.00")]
    tolerance = {"webshop-uk": Decimal(5), "google-retail": Decimal(2)}
    [conflict] = find_conflicts(listings, tolerance_percent=tolerance).price_conflicts
    assert conflict.tolerance_percent == Decimal(2)


def test_channels_in_different_currencies_are_not_compared():
    report = find_conflicts(
        [listing("webshop-uk", "100.00", "GBP"), listing("webshop-ie", "150.00", "EUR")]
    )
    assert report.price_conflicts == []


def test_advertised_price_below_map_is_reported():
    report = find_conflicts([listing("google-retail", "59.00", map_price="65.00")])
    [violation] = report.map_violations
    assert violation.channel == "google-retail"
    assert "below its minimum advertised price 65.00 GBP" in violation.message


def test_exclusive_product_also_in_another_assortment_is_reported():
    report = find_conflicts(
        [listing("shopify-store", "10.00"), listing("webshop-uk", "10.00")],
        exclusive_skus={"shopify-store": ["HEAD-1"]},
    )
    [conflict] = report.exclusivity_conflicts
    assert (conflict.exclusive_to, conflict.also_in) == ("shopify-store", ("webshop-uk",))
    assert conflict.message == "HEAD-1 is exclusive to shopify-store but is also in webshop-uk"


def test_listing_outside_the_assortment_takes_part_in_nothing():
    report = find_conflicts(
        [listing("shopify-store", "10.00"), listing("webshop-uk", "50.00", in_range=False)],
        exclusive_skus={"shopify-store": ["HEAD-1"]},
    )
    assert not report


def test_listing_from_variant_advertises_the_sale_price(presets, context):
    product = electronics_product()
    product.values["sale_price"] = [value(prices(("69.00", "GBP")))]
    product.values["map_price"] = [value(prices(("65.00", "GBP")))]
    variant = project_variant(product, [], presets["webshop-uk"], context, "en_GB")
    assert listing_from_variant(variant) == ChannelListing(
        "HEAD-1", "webshop-uk", "GBP", Decimal("69.00"), Decimal("65.00")
    )


def test_report_messages_list_every_conflict():
    report = find_conflicts(
        [listing("webshop-uk", "50.00", map_price="60.00"), listing("google-retail", "80.00")],
        exclusive_skus={"webshop-uk": ["HEAD-1"]},
    )
    assert len(report.messages) == 3
