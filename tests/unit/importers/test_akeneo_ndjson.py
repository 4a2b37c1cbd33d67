"""Akeneo's product and product model NDJSON (as its API and NDJSON imports write it)."""

from __future__ import annotations

import json

from importers import open_source
from importers.akeneo_ndjson import AkeneoNdjsonSource, read_akeneo_ndjson
from pim.records import AssociationLink, ProductRecord, RowError

# A product as Akeneo's REST API documents it, and a product model.
BOOT = {
    "identifier": "big_boot", "enabled": True, "family": "boots",
    "categories": ["summer_collection"], "groups": ["similar_boots"], "parent": "boots_model",
    "values": {
        "name": [{"locale": "en_US", "scope": None, "data": "Big boot"}],
        "weight": [{"locale": None, "scope": None,
                    "data": {"amount": "500.0000", "unit": "GRAM"}}],
        "price": [{"locale": None, "scope": None,
                   "data": [{"amount": "89.00", "currency": "EUR"}]}],
        "number_in_stock": [{"locale": None, "scope": "ecommerce", "data": 12}],
        "heel_height": [{"locale": None, "scope": None, "data": {"amount": 3, "unit": "CM"}}],
        "waterproof": [{"locale": None, "scope": None, "data": False}],
    },
    "associations": {"X_SELL": {"groups": [], "products": ["small_boot"],
                                "product_models": ["sandals_model"]}},
    "quantified_associations": {"PACK": {"products": [{"identifier": "laces", "quantity": 2}],
                                         "product_models": []}},
}
MODEL = {"code": "boots_model", "family": "boots", "family_variant": "boots_by_size",
         "parent": "boots_root", "categories": [], "values": {}, "associations": {}}
ROOT = {"code": "boots_root", "family": "boots", "family_variant": "boots_by_size",
        "parent": None, "categories": ["winter"], "values": {}}


def ndjson(tmp_path, *items, raw=()):
    path = tmp_path / "products.ndjson"
    path.write_text("".join(json.dumps(item) + "\n" for item in items) + "".join(raw))
    return path


def test_a_product_reads_with_its_values_in_the_hubs_shapes(tmp_path):
    *models, boot = read_akeneo_ndjson(ndjson(tmp_path, BOOT, MODEL, ROOT))

    assert [m.sku for m in models] == ["boots_root", "boots_model"]  # parents first
    assert (boot.sku, boot.family, boot.parent, boot.enabled) == (
        "big_boot", "boots", "boots_model", True)
    assert boot.values["number_in_stock"] == [
        {"locale": None, "scope": "ecommerce", "data": "12"}]  # a number as decimal text
    assert boot.values["heel_height"][0]["data"] == {"amount": "3", "unit": "CM"}
    assert boot.values["weight"][0]["data"] == {"amount": "500.0000", "unit": "GRAM"}
    assert boot.values["waterproof"][0]["data"] is False
    assert boot.associations == {"X_SELL": [AssociationLink("small_boot"),
                                            AssociationLink("sandals_model")],
                                 "PACK": [AssociationLink("laces", 2)]}


def test_a_model_reads_as_a_product_model(tmp_path):
    root, model = read_akeneo_ndjson(ndjson(tmp_path, MODEL, ROOT))
    assert (model.kind, model.sku, model.parent, model.family_variant) == (
        "product_model", "boots_model", "boots_root", "boots_by_size")
    assert root.categories == ["winter"] and root.associations is None


def test_a_broken_line_is_a_row_error_and_the_others_load(tmp_path):
    path = ndjson(tmp_path, BOOT, raw=["{not json\n", "[1, 2]\n", '{"sku": "x"}\n'])
    items = list(read_akeneo_ndjson(path))
    errors = [item for item in items if isinstance(item, RowError)]
    assert [(e.row, e.message.split(":")[0]) for e in errors] == [
        (2, "not JSON"), (3, "not a JSON object"),
        (4, "neither a product (identifier) nor a product model (code)")]
    assert [item.sku for item in items if isinstance(item, ProductRecord)] == ["big_boot"]


def test_open_source_tells_ndjson_from_its_first_line(tmp_path):
    source = open_source(ndjson(tmp_path, BOOT), context=None)
    assert isinstance(source, AkeneoNdjsonSource)
    assert (source.layout, source.format) == ("akeneo", "ndjson")
    assert [r.sku for r in source.records() if isinstance(r, ProductRecord)] == ["big_boot"]
