"""Akeneo's icecat demo catalog loads as exported, in dependency order."""

import csv
from collections import Counter

import pytest

from importers import iter_akeneo_catalog
from pim.records import ProductRecord, RowError, StructureRecord


@pytest.fixture(scope="module")
def demo_items():
    from tests.unit.importers.conftest import REFERENCE

    directory = REFERENCE / "akeneo-icecat"
    if not directory.is_dir():
        pytest.fail(f"reference data not found at {directory.resolve()} (../shared/reference): the suite needs the official artefacts beside the clone")
    return list(iter_akeneo_catalog(directory))


def products(items, kind):
    return [i for i in items if isinstance(i, ProductRecord) and i.kind == kind]


def test_all_products_and_product_models_load(demo_items):
    assert len(products(demo_items, "product")) == 1239
    assert len(products(demo_items, "product_model")) == 81


def test_variants_have_their_parent_model(demo_items):
    codes = {m.sku for m in products(demo_items, "product_model")}
    variants = [p for p in products(demo_items, "product") if p.parent]
    assert len(variants) == 240
    assert all(p.parent in codes for p in variants)


def test_product_models_come_parents_first(demo_items):
    seen = set()
    for model in products(demo_items, "product_model"):
        assert model.parent is None or model.parent in seen
        seen.add(model.sku)
    assert sum(1 for m in products(demo_items, "product_model") if m.parent) == 31


def test_structure_comes_in_dependency_order_before_products(demo_items):
    order = []
    for item in demo_items:
        kind = item.kind if not isinstance(item, RowError) else None
        if kind and (not order or order[-1] != kind):
            order.append(kind)
    assert order == ["locale", "currency", "channel", "attribute_group", "attribute",
                     "attribute_option", "category", "association_type", "family",
                     "family_variant", "product_model", "product"]


def test_the_only_row_errors_are_missing_media_warnings(demo_items, reference_dir):
    errors = [i for i in demo_items if isinstance(i, RowError)]
    assert errors and all(e.severity == "warning" and "media file" in e.message for e in errors)
    media_cells = 0
    attributes = reference_dir / "akeneo-icecat" / "attributes.csv"
    with open(attributes, newline="") as fh:
        media = {r["code"] for r in csv.DictReader(fh, delimiter=";")
                 if r["type"] in ("pim_catalog_image", "pim_catalog_file")}
    for name in ("product_models.csv", "products.csv"):
        with open(reference_dir / "akeneo-icecat" / name, newline="") as fh:
            for row in csv.DictReader(fh, delimiter=";"):
                media_cells += sum(1 for c, v in row.items() if v and c.split("-")[0] in media)
    assert len(errors) == media_cells


def test_types_are_mapped_and_metric_units_kept(demo_items):
    attributes = {i.code: i.data for i in demo_items
                  if isinstance(i, StructureRecord) and i.kind == "attribute"}
    assert Counter(a["type"] for a in attributes.values())["measurement"] == 4
    assert attributes["weight"]["unit_family"] == "Weight"
    assert attributes["price"]["type"] == "price" and attributes["picture"]["type"] == "media"
    product = next(p for p in products(demo_items, "product") if p.sku == "1111111171")
    assert product.values["weight"][0]["data"] == {"amount": "500", "unit": "GRAM"}


def test_enabled_locales_are_those_of_the_channels(demo_items):
    enabled = {i.code for i in demo_items
               if isinstance(i, StructureRecord) and i.kind == "locale" and i.data["enabled"]}
    assert enabled == {"de_DE", "en_US", "fr_FR"}


def test_media_found_in_the_media_folder_give_no_warning(reference_dir, tmp_path):
    picture = tmp_path / "files" / "1111111171" / "image" / "bag.jpg"
    picture.parent.mkdir(parents=True)
    picture.write_bytes(b"jpg")
    items = list(iter_akeneo_catalog(reference_dir / "akeneo-icecat", media_root=tmp_path))
    bag = next(i for i in items if isinstance(i, ProductRecord) and i.sku == "1111111171")
    assert bag.values["image"][0]["data"] == "files/1111111171/image/bag.jpg"
    assert not [i for i in items if isinstance(i, RowError) and i.sku == "1111111171"]
