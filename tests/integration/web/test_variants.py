"""Variant navigation: a model's variants as a matrix of its axes (colour rows, size
columns), the page's own product marked, for a variant, a sub-model and a root model."""

from __future__ import annotations

import re

from sqlalchemy import select

from pim.catalog.models import Product, ProductModel
from pim.db import read_session
from pim.web.pages import environment
from pim.web.variants import variant_navigation


def a_variant() -> tuple[str, str, str]:
    """A demo apparel variant, its colour model and its root model."""
    with read_session() as session:
        sku, parent_id = session.execute(
            select(Product.sku, Product.parent_id).where(Product.parent_id.is_not(None))
            .order_by(Product.sku)).first()
        sub, root_id = session.execute(select(ProductModel.code, ProductModel.parent_id)
                                       .where(ProductModel.id == parent_id)).one()
        root = session.scalar(select(ProductModel.code).where(ProductModel.id == root_id))
    return sku, sub, root


def render(nav) -> str:
    return environment().get_template("products/_variant_nav.html").render(variant_nav=nav)


def test_a_variant_sees_its_siblings_as_colour_rows_and_size_columns(grid_world):
    sku, sub, root = a_variant()
    with read_session() as session:
        nav = variant_navigation(session, sku)
    assert nav is not None
    assert (nav["row_label"], nav["column_label"]) == ("Colour", "Size")
    assert [level["code"] for level in nav["path"]] == [root, sub, sku]
    assert len(nav["rows"]) == 3  # three colours per style in the demo
    sizes = ["XS", "S", "M", "L", "XL"]  # the size options' order, not the alphabet's
    assert nav["columns"] == [s for s in sizes if s in nav["columns"]]
    cells = [c for row in nav["rows"] for c in row["cells"] if c]
    assert len(cells) == nav["count"]
    assert [c["sku"] for c in cells if c["current"]] == [sku]
    html = render(nav)
    assert f'aria-current="page">{sku}</span>' in html
    assert f'href="/product-models/{sub}"' in html or f"{sub}" in html


def test_a_sub_model_marks_its_row_and_the_root_lists_every_variant(grid_world):
    sku, sub, root = a_variant()
    with read_session() as session:
        by_sub = variant_navigation(session, sub)
        by_root = variant_navigation(session, root)
    assert [row["current"] for row in by_sub["rows"]].count(True) == 1
    assert by_root["count"] == by_sub["count"]
    assert not any(c and c["current"] for row in by_root["rows"] for c in row["cells"])
    assert re.search(r'<tr class="is-current">', render(by_sub))


def test_a_page_that_knows_the_root_and_the_structure_gets_the_same_navigation(grid_world):
    """The editor's read (``root`` and ``context`` given, three statements) and the plain
    one agree, for a variant, a sub-model and the root."""
    from pim.catalog.structure import load_context

    sku, sub, root = a_variant()
    with read_session() as session:
        context = load_context(session)
        for code in (sku, sub, root):
            assert (variant_navigation(session, code, root=root, context=context)
                    == variant_navigation(session, code)), code


def test_a_product_without_a_model_has_no_variant_navigation(grid_world):
    with read_session() as session:
        assert variant_navigation(session, "EL-000001") is None
        assert variant_navigation(session, "NO-SUCH-SKU") is None


def test_a_variant_shows_the_image_its_colour_model_holds(grid_world):
    from pim.catalog.images import main_image_values

    sku, sub, _ = a_variant()
    with read_session() as session:
        ids = dict(session.execute(select(Product.sku, Product.id).where(
            Product.sku.in_([sku, "EL-000001"]))).all())
        own = session.scalar(select(Product.values).where(Product.sku == "EL-000001"))
        held = session.scalar(select(ProductModel.values).where(ProductModel.code == sub))
        images = main_image_values(session, list(ids.values()))
    assert images[ids["EL-000001"]] == own["image"][0]["data"]  # its own
    assert images[ids[sku]] == held["image"][0]["data"]  # its colour model's
