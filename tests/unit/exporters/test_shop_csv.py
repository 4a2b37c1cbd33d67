"""Shopify and Magento product CSVs: the platforms' own column sets, and a round trip through
our readers (same SKUs, prices, parents and axes)."""

from __future__ import annotations

import csv
import io

import pytest

from exporters.base import url_slug
from exporters.magento_csv import EXTRA_COLUMNS
from exporters.shopify_csv import shopify_handle
from importers.magento_csv import read_magento_csv
from importers.shopify_csv import read_shopify_csv
from pim.records import ProductRecord, RowError
from tests.unit.exporters.variants import export, make_variant, model_variants


def header_of(path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def exported_rows(code, variants) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export(code, variants).decode("utf-8"))))


def data(record: ProductRecord, code: str):
    entries = record.values.get(code)
    return entries[0]["data"] if entries else None


def catalog():
    """Two product models and a standalone product, one on sale, one with a hostile SKU."""
    return [
        *model_variants("SHIRT-1"),
        *model_variants("mug_2", colours=("White",), sizes=("Large",)),
        make_variant("-LONE", sale_price={"amount": "19.99", "currency": "GBP"},
                     title="=cmd|' /C calc'!A0"),
    ]


@pytest.mark.parametrize(("sku", "slug"), [
    ("SKU-0001", "sku-0001"), ("-Shirt--Red-", "shirt-red"), ("mug_2 large", "mug-2-large"),
    ("Café-Crème", "caf-cr-me"), ("\u212a-1", "k-1"), ("日本", ""),
])
def test_url_slug_keeps_lower_case_letters_digits_and_single_hyphens(sku, slug):
    assert url_slug(sku) == slug


def test_shopify_header_is_the_template_header(reference_dir):
    template = header_of(reference_dir / "shopify" / "product_template.csv")
    assert len(template) == 48
    assert list(exported_rows("shopify_csv", [make_variant()])[0]) == template


def test_shopify_variants_share_a_handle_and_images_follow_as_image_rows():
    rows = exported_rows("shopify_csv", model_variants("SHIRT-1"))
    variant_rows = [row for row in rows if row["Variant SKU"]]
    image_rows = [row for row in rows if not row["Variant SKU"]]
    assert {row["Handle"] for row in rows} == {"shirt-1"}
    assert [row["Option1 Value"] for row in variant_rows] == ["Red", "Red", "Blue", "Blue"]
    assert variant_rows[0]["Option1 Name"] == "Colour" and variant_rows[1]["Option1 Name"] == ""
    assert variant_rows[0]["Title"] and not variant_rows[1]["Title"]
    assert image_rows and all(
        set(k for k, v in row.items() if v) == {"Handle", "Image Src", "Image Position"}
        for row in image_rows)


def test_shopify_sale_uses_compare_at_price():
    (row,) = exported_rows("shopify_csv", [make_variant(
        sale_price={"amount": "19.99", "currency": "GBP"}, images=None)])
    assert (row["Variant Price"], row["Variant Compare At Price"]) == ("19.99", "25.00")
    assert (row["Option1 Name"], row["Option1 Value"]) == ("Title", "Default Title")


def test_shopify_type_is_the_last_step_of_the_main_category_even_when_it_is_not_text():
    rows = exported_rows("shopify_csv", [make_variant("A", categories=["Clothing > Shirts"]),
                                         make_variant("B", categories=[42])])
    assert [row["Type"] for row in rows if row["Variant SKU"]] == ["Shirts", "42"]


def test_shopify_round_trip_keeps_skus_prices_parents_and_axes():
    variants = catalog()
    records = list(read_shopify_csv(io.BytesIO(export("shopify_csv", variants)), currency="GBP"))
    assert not [r for r in records if isinstance(r, RowError)]
    products = {r.sku: r for r in records if r.kind == "product"}
    models = {r.sku for r in records if r.kind == "product_model"}
    assert list(products) == [v.sku for v in variants]
    assert models == {shopify_handle("SHIRT-1"), shopify_handle("mug_2")}
    for variant in variants:
        record = products[variant.sku]
        parent = variant.fields.get("parent_sku")
        assert record.parent == (shopify_handle(parent) if parent else None)
        for code, value in (variant.fields.get("axes") or {}).items():
            assert data(record, code) == value
        assert data(record, "price") == [variant.fields["price"]]
        assert data(record, "gtin") == "4006381333931"
    assert data(products["-LONE"], "sale_price") == [{"amount": "19.99", "currency": "GBP"}]
    assert data(products["-LONE"], "name") == "=cmd|' /C calc'!A0"


def test_shopify_reader_accepts_the_renamed_export_headers():
    text = ("URL handle,Title,Vendor,SKU,Price,Compare-at price,Barcode,Option1 name,"
            "Option1 value,Product image URL,Image position\n"
            "tee,Tee,Acme,TEE-S,10.00,12.00,4006381333931,Size,S,https://m/tee.jpg,1\n"
            "tee,,,TEE-M,10.00,,,,M,,\n")
    records = list(read_shopify_csv(io.StringIO(text), currency="EUR"))
    assert [(r.sku, r.kind, r.parent) for r in records] == [
        ("tee", "product_model", None), ("TEE-S", "product", "tee"), ("TEE-M", "product", "tee")]
    assert data(records[0], "brand") == "Acme"
    assert data(records[1], "price") == [{"amount": "12.00", "currency": "EUR"}]
    assert data(records[1], "sale_price") == [{"amount": "10.00", "currency": "EUR"}]
    assert data(records[2], "size") == "M"


def test_shopify_reference_template_reads_without_errors(reference_dir):
    records = list(read_shopify_csv(reference_dir / "shopify" / "product_template.csv"))
    errors = [r for r in records if isinstance(r, RowError)]
    products = [r for r in records if isinstance(r, ProductRecord)]
    # The template's barcodes were turned into floats by a spreadsheet: warnings only.
    assert errors and all(error.severity == "warning" for error in errors)
    assert {r.sku for r in products if r.kind == "product_model"} == {
        "example-shirt", "example-pants"}
    assert len([r for r in products if r.kind == "product"]) == 16


def test_magento_header_is_the_sample_header_then_configurable_and_image_columns(
        reference_dir):
    sample = header_of(reference_dir / "magento" / "catalog_product.csv")
    assert len(sample) == 74
    header = list(exported_rows("magento_csv", [make_variant()])[0])
    assert header == sample + list(EXTRA_COLUMNS)
    assert {"configurable_variations", "configurable_variation_labels"} <= set(header)


def test_magento_simple_row_fills_its_stock_weight_price_image_and_visibility_columns():
    (row,) = exported_rows("magento_csv", [make_variant(
        "LONE", availability="backorder", quantity=7, weight={"amount": "250", "unit": "GRAM"},
        sale_price={"amount": "19.99", "currency": "GBP"}, enabled=False,
        categories=["Clothing > Shirts"], associations={"upsell": ["UP-1"]})])
    assert {name: value for name, value in row.items() if value} == {
        "sku": "LONE", "attribute_set_code": "Default", "product_type": "simple",
        "categories": "Default Category/Clothing/Shirts", "product_websites": "base",
        "name": "Shirt LONE", "description": "<p>Soft <b>cotton</b> shirt.</p>",
        "weight": "0.25", "product_online": "2", "tax_class_name": "Taxable Goods",
        "visibility": "Catalog, Search", "price": "25.00", "special_price": "19.99",
        "url_key": "lone", "additional_attributes": "brand=Acme,gtin=4006381333931,mpn=MPN-LONE",
        "qty": "7", "allow_backorders": "1", "is_in_stock": "1", "manage_stock": "1",
        "upsell_skus": "UP-1", "base_image": "https://media.example/LONE/1.jpg",
        "small_image": "https://media.example/LONE/1.jpg",
        "thumbnail_image": "https://media.example/LONE/1.jpg",
        "additional_images": "https://media.example/LONE/2.jpg,https://media.example/LONE/3.jpg",
    }


def test_magento_configurable_row_follows_its_simple_products():
    rows = exported_rows("magento_csv", model_variants("SHIRT-1"))
    assert [row["product_type"] for row in rows] == ["simple"] * 4 + ["configurable"]
    parent = rows[-1]
    assert parent["sku"] == "SHIRT-1"
    assert parent["configurable_variations"] == (
        "sku=SHIRT-1-RED-S,colour=Red,size=S|sku=SHIRT-1-RED-M,colour=Red,size=M|"
        "sku=SHIRT-1-BLU-S,colour=Blue,size=S|sku=SHIRT-1-BLU-M,colour=Blue,size=M")
    assert parent["configurable_variation_labels"] == "colour=Colour,size=Size"
    assert {row["visibility"] for row in rows[:4]} == {"Not Visible Individually"}


def test_magento_round_trip_keeps_skus_prices_parents_and_axes():
    variants = [*catalog(), make_variant("ODD", parent_sku="ODD-P",
                                         axes={"colour": 'Red, "dark"=yes|no'})]
    records = list(read_magento_csv(io.BytesIO(export("magento_csv", variants)), currency="GBP"))
    assert not [r for r in records if isinstance(r, RowError)]
    assert [r.sku for r in records if r.kind == "product_model"] == ["SHIRT-1", "mug_2", "ODD-P"]
    products = {r.sku: r for r in records if r.kind == "product"}
    assert list(products) == [v.sku for v in variants]
    for variant in variants:
        record = products[variant.sku]
        assert record.parent == variant.fields.get("parent_sku")
        for code, value in (variant.fields.get("axes") or {}).items():
            assert data(record, code) == value
        assert data(record, "price") == [variant.fields["price"]]
        assert data(record, "gtin") == "4006381333931"
        assert data(record, "brand") == "Acme"
    assert data(products["-LONE"], "sale_price") == [{"amount": "19.99", "currency": "GBP"}]


def test_magento_reference_sample_reads_without_errors(reference_dir):
    records = list(read_magento_csv(reference_dir / "magento" / "catalog_product.csv"))
    assert all(isinstance(r, ProductRecord) for r in records)
    assert [r.sku for r in records] == [
        "24-WG085", "24-WG086", "24-WG087", "24-WG085_Group", "24-WG085-bundle-dynamic",
        "24-WG085-bundle-fixed"]
    grouped = records[3]
    assert [(link.sku, link.quantity) for link in grouped.associations["pack"]] == [
        ("24-WG085", 5), ("24-WG086", 5)]
    assert data(records[0], "price") == [{"amount": "14", "currency": "USD"}]


def test_magento_categories_of_a_locale_without_labels_read_the_channels_other_locales():
    from channels import load_presets, project_variant
    from tests.unit.channels.catalog import demo_context, electronics_product

    channel = load_presets()["magento-store"]  # de_DE and en_GB; "Audio" is English only
    variant = project_variant(electronics_product(), [], channel, demo_context(), "de_DE")

    (row,) = exported_rows("magento_csv", [variant])
    assert row["categories"] == "Default Category/Shop/Audio"


def test_magento_small_and_thumbnail_images_are_the_renditions_of_those_names():
    base = "https://hub.example/media/r"
    renditions = [{"image": {"url": f"{base}/a/1.jpg", "width": 1000, "height": 800},
                   "small_image": {"url": f"{base}/b/1.jpg", "width": 400, "height": 320},
                   "thumbnail": {"url": f"{base}/c/1.jpg", "width": 100, "height": 100}}]
    [row] = exported_rows("magento_csv", [make_variant(
        "LONE", images=[f"{base}/a/1.jpg"], image_renditions=renditions)])
    assert (row["base_image"], row["small_image"], row["thumbnail_image"]) == (
        f"{base}/a/1.jpg", f"{base}/b/1.jpg", f"{base}/c/1.jpg")


def test_shopify_image_rows_carry_the_rendition_urls_in_position_order():
    urls = [f"https://hub.example/media/r/abc/{n}.jpg" for n in range(1, 4)]
    rows = exported_rows("shopify_csv", [make_variant("LONE", images=urls)])
    assert [(row["Image Src"], row["Image Position"]) for row in rows] == [
        (urls[0], "1"), (urls[1], "2"), (urls[2], "3")]
