"""Akeneo's product and product model NDJSON, read back by our Akeneo importer: the records
that come back are the records that went in (values kept to the channel)."""

from __future__ import annotations

import inspect
import json
from decimal import Decimal
from itertools import count, islice

from exporters import FORMATS
from exporters.base import CHUNK_SIZE
from importers.akeneo_ndjson import read_akeneo_ndjson
from pim.records import AssociationLink, ProductRecord, RowError
from tests.unit.channels.catalog import demo_context, prices, value
from tests.unit.exporters.variants import make_feed

CHANNEL = "webshop-uk"


def feed(**overrides):
    return make_feed(channel=CHANNEL, locales=("en_GB", "de_DE"), catalog=demo_context(),
                     **overrides)


def records() -> list[ProductRecord]:
    root = ProductRecord(
        "SHIRT", kind="product_model", family="apparel", family_variant="apparel_colour_size",
        categories=["shirts"],
        values={"name": [value("Oxford shirt", "en_GB"), value("Oxford-Hemd", "de_DE"),
                         value("Chemise", "fr_FR")],
                "short_description": [value("<p>UK</p>", "en_GB", CHANNEL),
                                      value("<p>Print</p>", "en_GB", "print")],
                "price": [value(prices(("45.00", "GBP"), ("52.50", "EUR")))]})
    red = ProductRecord("SHIRT-RED", kind="product_model", parent="SHIRT", family="apparel",
                        family_variant="apparel_colour_size", values={"colour": [value("red")]})
    variant = ProductRecord(
        "SHIRT-RED-M", parent="SHIRT-RED", family="apparel", categories=["shirts"],
        enabled=True,
        values={"size": [value("m")], "ean": [value("4006381333931")],
                "weight": [value({"amount": "0.35", "unit": "KILOGRAM"})]},
        associations={"cross_sell": [AssociationLink("TIE-1")],
                      "pack": [AssociationLink("BOX-1", 2)]})
    lone = ProductRecord(
        "VOLT-1", family="spare_parts", categories=["motors"], enabled=False,
        values={"voltage": [value("230")], "mpn": [value("V-1")],
                "weight": [value({"amount": "2", "unit": "KILOGRAM"})]})
    return [root, red, variant, lone]


def lines(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.splitlines()]


def export(items, info=None) -> bytes:
    return b"".join(FORMATS["akeneo"].write(items, info or feed()))


def test_models_and_products_are_written_in_akeneos_shapes():
    root, red, variant, lone = lines(export(records()))

    assert (root["code"], root["family_variant"], root["parent"]) == (
        "SHIRT", "apparel_colour_size", None)
    assert red["parent"] == "SHIRT" and "identifier" not in red
    assert root["values"]["price"] == [{"locale": None, "scope": None, "data": [
        {"amount": "45.00", "currency": "GBP"}, {"amount": "52.50", "currency": "EUR"}]}]
    assert (variant["identifier"], variant["parent"], variant["enabled"]) == (
        "SHIRT-RED-M", "SHIRT-RED", True)
    assert variant["values"]["weight"][0]["data"] == {"amount": "0.35", "unit": "KILOGRAM"}
    assert variant["associations"] == {"cross_sell": {"products": ["TIE-1"],
                                                      "product_models": [], "groups": []}}
    assert variant["quantified_associations"] == {"pack": {"products": [
        {"identifier": "BOX-1", "quantity": 2}], "product_models": []}}
    # numbers and measurement amounts without decimals are integers
    assert lone["values"]["voltage"][0]["data"] == 230
    assert lone["values"]["weight"][0]["data"] == {"amount": 2, "unit": "KILOGRAM"}
    assert lone["enabled"] is False


def test_values_are_kept_to_the_channels_locales_and_scope():
    root = lines(export(records()))[0]
    assert {entry["locale"] for entry in root["values"]["name"]} == {"en_GB", "de_DE"}
    assert root["values"]["short_description"] == [
        {"locale": "en_GB", "scope": CHANNEL, "data": "<p>UK</p>"}]


def test_a_delta_disables_withdrawn_products_first():
    first, *_ = lines(export(records()[3:], feed(delta=True, withdrawn=["GONE-1"])))
    assert first == {"identifier": "GONE-1", "enabled": False}


def test_the_export_reads_back_through_our_akeneo_importer(tmp_path):
    path = tmp_path / "products.ndjson"
    path.write_bytes(export(records()))

    back = list(read_akeneo_ndjson(path))

    assert not [item for item in back if isinstance(item, RowError)]
    by_sku = {record.sku: record for record in back}
    assert [record.sku for record in back] == ["SHIRT", "SHIRT-RED", "SHIRT-RED-M", "VOLT-1"]
    for original in records():
        record = by_sku[original.sku]
        assert (record.kind, record.family, record.parent) == (
            original.kind, original.family, original.parent)
        assert record.categories == (original.categories or [])
        assert record.enabled == (None if original.kind == "product_model"
                                  else original.enabled is not False)
        kept = feed_values(original.values)
        assert record.values == kept, original.sku
    variant = by_sku["SHIRT-RED-M"]
    assert variant.associations == {"cross_sell": [AssociationLink("TIE-1")],
                                    "pack": [AssociationLink("BOX-1", 2)]}
    assert by_sku["SHIRT"].family_variant == "apparel_colour_size"


def feed_values(values):
    """What the export keeps of ``values``: the channel's locales and scope."""
    kept = {}
    for code, entries in values.items():
        entries = [e for e in entries if e["locale"] in (None, "en_GB", "de_DE")
                   and e["scope"] in (None, CHANNEL)]
        if entries:
            kept[code] = entries
    return kept


def test_the_writer_streams():
    output = FORMATS["akeneo"].write(iter(records()), feed())
    assert inspect.isgenerator(output)

    def endless():
        for n in count():
            yield ProductRecord(f"SKU-{n}", family="electronics",
                                values={"name": [value(f"Product {n}", "en_GB")]})

    chunks = list(islice(FORMATS["akeneo"].write(endless(), feed()), 3))
    assert len(chunks) == 3 and all(0 < len(chunk) < 4 * CHUNK_SIZE for chunk in chunks)
    assert export([]) == b""


def test_prices_keep_their_amounts_as_text_however_stored():
    record = ProductRecord("P", values={"price": [value([{"amount": Decimal("9.90"),
                                                          "currency": "GBP"}])]})
    (line,) = lines(export([record]))
    assert line["values"]["price"][0]["data"] == [{"amount": "9.90", "currency": "GBP"}]
