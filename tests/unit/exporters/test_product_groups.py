"""One product is one group in every format: a shirt in 3 colours x 5 sizes, modelled as a
root model, one sub-model per colour and one variant per size, is one Google item group,
one Shopify handle and one Magento configurable, with an option for every axis."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from channels import load_presets, project_variant
from exporters.shopify_csv import shopify_handle
from importers.magento_csv import read_magento_csv
from importers.shopify_csv import read_shopify_csv
from pim.records import AttributeSpec, ProductRecord
from tests.unit.channels.catalog import demo_context, prices, value
from tests.unit.exporters.variants import export

COLOURS = {"red": "Red", "blue": "Blue", "green": "Green"}
SIZES = {"xs": "XS", "s": "S", "m": "M", "l": "L", "xl": "XL"}


@pytest.fixture(scope="module")
def presets():
    return load_presets()


@pytest.fixture
def context():
    context = demo_context()
    context.attributes["colour"] = AttributeSpec(
        "colour", "select", options={code: {"en_GB": label} for code, label in COLOURS.items()})
    context.attributes["size"] = AttributeSpec(
        "size", "select", options={code: {"en_GB": label} for code, label in SIZES.items()})
    return context


def shirt() -> list[tuple[ProductRecord, list[ProductRecord]]]:
    """(variant, ancestors nearest first) for each of the shirt's 15 variants."""
    root = ProductRecord(
        sku="OXFORD", kind="product_model", family="apparel",
        family_variant="apparel_colour_size", categories=["shirts"],
        values={"name": [value("Oxford shirt", "en_GB")],
                "description": [value("<p>Cotton.</p>", "en_GB")],
                "brand": [value("Tailor")], "material": [value("Cotton", "en_GB")],
                "condition": [value("new")],
                "price": [value(prices(("45.00", "GBP"), ("52.00", "EUR")))],
                "image": [value("products/oxford.jpg")]})
    chains = []
    for colour in COLOURS:
        model = ProductRecord(sku=f"OXFORD-{colour}", kind="product_model", parent="OXFORD",
                              family="apparel", values={"colour": [value(colour)]})
        for size in SIZES:
            variant = ProductRecord(
                sku=f"OXFORD-{colour}-{size}".upper(), parent=model.sku, family="apparel",
                values={"size": [value(size)], "mpn": [value(f"OX-{colour}-{size}")]},
                stock={"warehouse_uk": Decimal(3), "warehouse_de": Decimal(3)})
            chains.append((variant, [model, root]))
    return chains


def variants_for(channel, context, locale="en_GB"):
    return [project_variant(variant, ancestors, channel, context, locale)
            for variant, ancestors in shirt()]


def rows_of(data: bytes, **dialect) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8")), **dialect))


def test_google_puts_every_colour_and_size_in_one_item_group(presets, context):
    variants = variants_for(presets["google-retail"], context)

    rows = rows_of(export("google_merchant_tsv", variants), delimiter="\t",
                   quoting=csv.QUOTE_NONE)

    assert len(rows) == 15
    assert {row["item_group_id"] for row in rows} == {"OXFORD"}
    assert {(row["color"], row["size"]) for row in rows} == {
        (colour, size) for colour in COLOURS.values() for size in SIZES.values()}


def test_google_item_groups_follow_the_channel_when_it_groups_by_nearest_model(
        presets, context):
    channel = presets["google-retail"].model_copy(update={"group_variants_by": "parent_model"})
    rows = rows_of(export("google_merchant_tsv", variants_for(channel, context)),
                   delimiter="\t", quoting=csv.QUOTE_NONE)
    assert {row["item_group_id"] for row in rows} == {f"OXFORD-{c}" for c in COLOURS}


def test_shopify_writes_one_handle_with_an_option_per_axis(presets, context):
    data = export("shopify_csv", variants_for(presets["shopify-store"], context))
    rows = rows_of(data)

    variant_rows = [row for row in rows if row["Variant SKU"]]
    assert len(variant_rows) == 15
    assert {row["Handle"] for row in rows} == {shopify_handle("OXFORD")}
    assert (rows[0]["Option1 Name"], rows[0]["Option2 Name"]) == ("Colour", "Size")
    assert {(row["Option1 Value"], row["Option2 Value"]) for row in variant_rows} == {
        (colour, size) for colour in COLOURS.values() for size in SIZES.values()}
    records = list(read_shopify_csv(io.BytesIO(data), currency="GBP"))
    assert [r.sku for r in records if r.kind == "product_model"] == [shopify_handle("OXFORD")]


def test_shopify_options_cover_an_axis_the_first_variant_lacks(presets, context):
    variants = variants_for(presets["shopify-store"], context)
    del variants[0].fields["axes"]["size"]
    rows = rows_of(export("shopify_csv", variants))
    assert (rows[0]["Option1 Name"], rows[0]["Option2 Name"]) == ("Colour", "Size")
    assert rows[1]["Option2 Value"] == "S"


def test_magento_writes_one_configurable_with_every_axis(presets, context):
    variants = variants_for(presets["magento-store"], context)
    data = export("magento_csv", variants)
    rows = rows_of(data)

    configurables = [row for row in rows if row["product_type"] == "configurable"]
    assert [row["sku"] for row in configurables] == ["OXFORD"]
    (configurable,) = configurables
    assert configurable["configurable_variation_labels"] == "colour=Colour,size=Size"
    variations = configurable["configurable_variations"].split("|")
    assert len(variations) == 15
    assert variations[0] == "sku=OXFORD-RED-XS,colour=Red,size=XS"
    records = list(read_magento_csv(io.BytesIO(data), currency="EUR"))
    assert {r.parent for r in records if r.kind == "product"} == {"OXFORD"}
