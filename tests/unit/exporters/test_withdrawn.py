"""Every delta format says what left the channel, each in its own way; a full feed lists only
what is published. Read back with the format's own reader where there is one (csv, openpyxl,
lxml, our Shopify and Magento readers)."""

from __future__ import annotations

import csv
import io

import openpyxl
from lxml import etree

from exporters.google_merchant import G_NAMESPACE, TSV_COLUMNS, WITHDRAWN_DESTINATIONS
from exporters.shopify_csv import shopify_handle
from importers.magento_csv import read_magento_csv
from tests.unit.exporters.variants import export, make_feed, make_variant, model_variants

DELTA = make_feed(delta=True, withdrawn=["GONE-1", "SHIRT-RED-L"],
                  withdrawn_groups=["GONE-1"])


def csv_rows(data: bytes, **dialect) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8")), **dialect))


def test_a_csv_delta_marks_withdrawn_skus_in_a_deleted_column_first():
    rows = csv_rows(export("csv", [make_variant("KEPT")], DELTA))

    assert list(rows[0])[-1] == "deleted"
    assert [(row["sku"], row["id"], row["deleted"]) for row in rows] == [
        ("GONE-1", "GONE-1", "true"), ("SHIRT-RED-L", "SHIRT-RED-L", "true"),
        ("KEPT", "KEPT", "")]
    assert rows[0]["title"] == rows[0]["price"] == ""
    assert rows[2]["title"] == "Shirt KEPT"


def test_a_full_csv_has_no_deleted_column():
    rows = csv_rows(export("csv", [make_variant("KEPT")], make_feed(withdrawn=["GONE-1"])))
    assert "deleted" not in rows[0] and [row["sku"] for row in rows] == ["KEPT"]


def test_an_xlsx_delta_marks_withdrawn_skus_in_a_deleted_column():
    workbook = openpyxl.load_workbook(io.BytesIO(export("xlsx", [make_variant("KEPT")], DELTA)),
                                      read_only=True)
    header, *rows = list(workbook.active.iter_rows(values_only=True))
    deleted = header.index("deleted")
    # A read-only sheet gives a row up to its last filled cell.
    assert [(row[header.index("sku")], row[deleted] if len(row) > deleted else None)
            for row in rows] == [
        ("GONE-1", "true"), ("SHIRT-RED-L", "true"), ("KEPT", None)]


def test_a_google_tsv_delta_takes_withdrawn_items_out_of_every_destination():
    rows = csv_rows(export("google_merchant_tsv", [make_variant("KEPT")], DELTA),
                    delimiter="\t", quoting=csv.QUOTE_NONE)

    assert list(rows[0]) == [*TSV_COLUMNS, "excluded_destination"]
    gone = rows[0]
    assert (gone["id"], gone["availability"]) == ("GONE-1", "out_of_stock")
    assert gone["excluded_destination"].split(",") == list(WITHDRAWN_DESTINATIONS)
    assert gone["title"] == gone["price"] == ""
    assert (rows[2]["id"], rows[2]["excluded_destination"]) == ("KEPT", "")


def test_a_google_rss_delta_takes_withdrawn_items_out_of_every_destination():
    root = etree.fromstring(export("google_merchant_rss", [make_variant("KEPT")], DELTA))
    g = f"{{{G_NAMESPACE}}}"
    first = root.find("channel/item")
    assert first.findtext(f"{g}id") == "GONE-1"
    assert first.findtext(f"{g}availability") == "out_of_stock"
    assert [e.text for e in first.findall(f"{g}excluded_destination")] == list(
        WITHDRAWN_DESTINATIONS)
    assert [item.findtext(f"{g}id") for item in root.iter("item")] == [
        "GONE-1", "SHIRT-RED-L", "KEPT"]


def test_a_full_google_feed_lists_only_what_is_published():
    root = etree.fromstring(export("google_merchant_rss", [make_variant("KEPT")],
                                   make_feed(withdrawn=["GONE-1"])))
    assert [item.findtext(f"{{{G_NAMESPACE}}}id") for item in root.iter("item")] == ["KEPT"]


def test_a_shopify_delta_archives_a_product_that_left_whole():
    rows = csv_rows(export("shopify_csv", model_variants("SHIRT"), DELTA))

    archived = rows[0]
    assert (archived["Handle"], archived["Published"], archived["Status"]) == (
        shopify_handle("GONE-1"), "FALSE", "archived")
    assert archived["Variant SKU"] == archived["Title"] == ""
    # A variant withdrawn while its product stays cannot be said in Shopify's CSV.
    assert "SHIRT-RED-L" not in {row["Variant SKU"] for row in rows}
    assert [row["Handle"] for row in rows[1:]] == [shopify_handle("SHIRT")] * (len(rows) - 1)


def test_a_magento_delta_disables_withdrawn_skus_and_models_that_left_whole():
    feed = make_feed(delta=True, withdrawn=["GONE-1", "MUG-RED", "MUG-BLUE"],
                     withdrawn_groups=["GONE-1", "MUG"])
    data = export("magento_csv", [make_variant("KEPT")], feed)
    rows = csv_rows(data)

    assert [(row["sku"], row["product_online"], row["product_type"]) for row in rows[:4]] == [
        ("GONE-1", "2", ""), ("MUG-RED", "2", ""), ("MUG-BLUE", "2", ""), ("MUG", "2", "")]
    assert rows[4]["sku"] == "KEPT" and rows[4]["product_online"] == "1"
    records = [r for r in read_magento_csv(io.BytesIO(data), currency="GBP")
               if getattr(r, "sku", None) == "MUG-RED"]
    assert records and records[0].enabled is False
