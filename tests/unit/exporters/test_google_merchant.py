"""Google Merchant feeds carry the required attributes in Google's documented formats."""

from __future__ import annotations

import csv
import io

from lxml import etree

from exporters.google_merchant import G_NAMESPACE, TSV_COLUMNS
from tests.unit.exporters.variants import (
    FORBIDDEN_IN_XML,
    HOSTILE_TEXT,
    export,
    make_feed,
    make_variant,
    model_variants,
)

G = f"{{{G_NAMESPACE}}}"


def rss_items(variants, feed=None) -> list[dict[str, list[str]]]:
    root = etree.fromstring(export("google_merchant_rss", variants, feed))
    items = []
    for item in root.iter("item"):
        attributes: dict[str, list[str]] = {}
        for element in item:
            attributes.setdefault(element.tag.replace(G, ""), []).append(element.text)
        items.append(attributes)
    return items


def tsv_rows(variants) -> list[dict[str, str]]:
    text = export("google_merchant_tsv", variants).decode("utf-8")
    lines = text.split("\n")
    assert lines[-1] == ""
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:-1]]
    return rows


def test_rss_envelope_is_rss_2_with_the_g_namespace():
    root = etree.fromstring(export("google_merchant_rss", [make_variant()]))
    assert root.tag == "rss" and root.get("version") == "2.0"
    assert root.nsmap["g"] == G_NAMESPACE
    channel = root.find("channel")
    assert channel.findtext("title") == "Test channel"
    assert channel.findtext("link") == "https://shop.example"
    assert channel.findtext("description")


def test_rss_item_carries_required_attributes_in_google_formats():
    (item,) = rss_items([make_variant("SKU-9", sale_price={"amount": "19.99", "currency": "GBP"},
                                      availability="backorder")])
    assert item["id"] == ["SKU-9"]
    assert item["title"] == ["Shirt SKU-9"]
    assert item["description"] == ["Soft cotton shirt."]
    assert item["link"] == ["https://shop.example/p/SKU-9"]
    assert item["image_link"] == ["https://media.example/SKU-9/1.jpg"]
    assert item["additional_image_link"] == [
        "https://media.example/SKU-9/2.jpg", "https://media.example/SKU-9/3.jpg"]
    assert item["availability"] == ["backorder"]
    assert item["price"] == ["25.00 GBP"]
    assert item["sale_price"] == ["19.99 GBP"]
    assert item["brand"] == ["Acme"]
    assert item["gtin"] == ["4006381333931"]
    assert item["mpn"] == ["MPN-SKU-9"]
    assert item["condition"] == ["new"]
    assert item["product_type"] == ["Clothing > Shirts"]
    assert item["shipping_weight"] == ["0.25 kg"]
    assert "identifier_exists" not in item


def test_variants_carry_item_group_id_colour_and_size():
    items = rss_items(model_variants("SHIRT"))
    assert {tuple(i["item_group_id"]) for i in items} == {("SHIRT",)}
    assert [(i["color"][0], i["size"][0]) for i in items] == [
        ("Red", "S"), ("Red", "M"), ("Blue", "S"), ("Blue", "M")]


def test_identifier_exists_is_no_without_gtin_and_mpn():
    (item,) = rss_items([make_variant(gtin=None, mpn=None)])
    assert item["identifier_exists"] == ["no"]


def test_at_most_ten_additional_images():
    images = [f"https://media.example/{n}.jpg" for n in range(15)]
    (item,) = rss_items([make_variant(images=images)])
    assert item["image_link"] == [images[0]]
    assert item["additional_image_link"] == images[1:11]


def test_unknown_availability_is_left_out_rather_than_misreported():
    (item,) = rss_items([make_variant(availability="in stock")])
    assert "availability" not in item


def test_rss_escapes_markup_and_drops_forbidden_characters():
    (item,) = rss_items([make_variant(title=HOSTILE_TEXT + FORBIDDEN_IN_XML)])
    assert item["title"] == [HOSTILE_TEXT + "abcdef"]


RICH_DESCRIPTION = ("<p>Organic <b>cotton</b> &amp; linen, 30&nbsp;&deg;C wash.</p>"
                    "<ul><li>Relaxed fit</li><li>Pearl <i>buttons</i></li></ul><p>Line<br>break</p>")


def test_descriptions_are_plain_text_by_default():
    (item,) = rss_items([make_variant(description=RICH_DESCRIPTION)])
    (row,) = tsv_rows([make_variant(description=RICH_DESCRIPTION)])

    text = ("Organic cotton & linen, 30 \u00b0C wash.\n\n- Relaxed fit\n- Pearl buttons\n"
            "Line\nbreak")
    assert item["description"] == [text]
    assert row["description"] == text.replace("\n", " ")  # a TSV cell stays on its line
    assert "<" not in row["description"]


def test_a_channel_may_keep_html_descriptions_for_google():
    feed = make_feed(html_descriptions=True)
    (item,) = rss_items([make_variant(description=RICH_DESCRIPTION)], feed)
    assert item["description"] == [RICH_DESCRIPTION]


def test_a_description_that_is_only_markup_is_left_out():
    (item,) = rss_items([make_variant(description="<p> </p><br>")])
    assert "description" not in item


def test_tsv_drops_control_characters_stored_before_validation_refused_them():
    (row,) = tsv_rows([make_variant(title="Bell\x07 and\x1b escape", brand="A\x00cme")])
    assert (row["title"], row["brand"]) == ("Bell and escape", "Acme")


def test_tsv_header_and_values_use_google_formats():
    (row,) = tsv_rows([make_variant("SKU-9", parent_sku="SHIRT", axes={"colour": "Red"})])
    assert list(row) == list(TSV_COLUMNS)
    assert row["price"] == "25.00 GBP"
    assert row["availability"] == "in_stock"
    assert row["item_group_id"] == "SHIRT"
    assert row["color"] == "Red"
    assert row["additional_image_link"] == (
        "https://media.example/SKU-9/2.jpg,https://media.example/SKU-9/3.jpg")


def test_tsv_text_cannot_break_out_of_its_cell_or_row():
    rows = tsv_rows([make_variant("A", title=HOSTILE_TEXT, description="x\ty\r\nz"),
                     make_variant("B")])
    assert [row["id"] for row in rows] == ["A", "B"]
    assert rows[0]["description"] == "x y z"
    assert rows[0]["title"].startswith("'=HYPERLINK(")


def test_tsv_neutralises_formulas_but_not_prices():
    (row,) = tsv_rows([make_variant(brand="@SUM(A1)", title="+cmd", gtin=None,
                                    mpn="-1", price={"amount": "-1.00", "currency": "GBP"})])
    assert row["brand"] == "'@SUM(A1)"
    assert row["title"] == "'+cmd"
    assert row["mpn"] == "'-1"
    assert row["price"] == "-1.00 GBP"


def test_tsv_is_readable_by_a_tab_separated_csv_reader():
    data = export("google_merchant_tsv", model_variants("SHIRT"), make_feed())
    rows = list(csv.DictReader(io.StringIO(data.decode()), delimiter="\t",
                               quoting=csv.QUOTE_NONE))
    assert len(rows) == 4 and all(row["item_group_id"] == "SHIRT" for row in rows)
