"""A product model's page level with the product editor: its history, its variants'
completeness, and a channel switcher that starts on a channel carrying its family."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pim.catalog.models import Product, ProductModel
from pim.db import read_session
from pim.workflow.model_completeness import model_completeness, variant_ids
from pim.workflow.models import Completeness


@pytest.fixture
def world(grid_world):  # the web fixtures' users live in the grid world
    return grid_world


def a_root_model() -> str:
    """A demo apparel model with sub-models (colours) and variants (sizes) below them."""
    with read_session() as session:
        return session.scalar(select(ProductModel.code).where(ProductModel.parent_id.is_(None))
                              .order_by(ProductModel.code))


def test_a_models_variants_are_those_below_it_and_below_its_sub_models(grid_world):
    root = a_root_model()
    with read_session() as session:
        subs = select(ProductModel.id).where(ProductModel.parent_id == select(
            ProductModel.id).where(ProductModel.code == root).scalar_subquery())
        expected = set(session.scalars(select(Product.sku).where(Product.parent_id.in_(subs))))
        assert expected and set(variant_ids(session, root).values()) == expected


def test_a_models_completeness_sums_up_its_variants_rows(grid_world):
    root = a_root_model()
    with read_session() as session:
        ids = list(variant_ids(session, root))
        summaries = model_completeness(session, root)
        assert summaries
        for summary in summaries:
            counted = select(func.count()).where(
                Completeness.product_id.in_(ids), Completeness.in_assortment.is_(True),
                Completeness.channel_code == summary.channel,
                Completeness.locale == summary.locale)
            assert summary.variants == session.scalar(counted)
            assert summary.passed == session.scalar(counted.where(Completeness.passed))
            assert summary.percent <= 100 and (summary.percent < 100 or
                                               summary.passed == summary.variants)
            assert sum(p.variants for p in summary.problems) >= summary.variants - summary.passed


def test_the_model_page_starts_on_a_channel_that_carries_its_family(signed_in):
    root = a_root_model()
    page = signed_in("viewer").get(f"/product-models/{root}")
    assert page.status_code == 200, page.text
    # distributor-eu comes first by code but carries no apparel
    assert re.search(r'<option value="google-retail" selected>', page.text)
    assert re.search(r'<option value="distributor-eu">[^<]*\(does not carry it\)', page.text)
    asked = signed_in("viewer").get(f"/product-models/{root}?channel=distributor-eu")
    assert re.search(r'<option value="distributor-eu" selected>', asked.text)


def test_the_model_page_shows_its_variants_completeness_and_links_its_history(signed_in):
    root = a_root_model()
    web = signed_in("viewer")
    page = web.get(f"/product-models/{root}").text
    assert f'href="/product-models/{root}/history"' in page
    with read_session() as session:
        first = model_completeness(session, root)[0]
    assert "Completeness of its variants" in page
    assert f'id="cmp-{first.channel}-{first.locale}"' in page
    assert f"{first.passed} of {first.variants} variants pass" in page


def test_a_models_history_lists_its_versions_without_restore(signed_in):
    root = a_root_model()
    web = signed_in("editor")
    history = web.get(f"/product-models/{root}/history")
    assert history.status_code == 200, history.text
    assert "Version 1" in history.text and "Open the product model" in history.text
    assert f'href="/product-models/{root}"' in history.text
    assert "Restore version" not in history.text
    assert web.get("/product-models/NOPE/history").status_code == 404


def test_a_value_the_model_owns_and_lacks_is_one_problem_linked_to_the_model(signed_in):
    """Cleared on the model, the brand fails in every variant: one problem naming how many,
    linked to the brand input on the model's own page."""
    from tests.integration.web.conftest import csrf_of

    root = a_root_model()
    web = signed_in("editor")
    page = web.get(f"/product-models/{root}?channel=webshop-uk&locale=en_GB").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    saved = web.post(f"/product-models/{root}", data={
        "_csrf_token": csrf_of(page), "version": version, "locale": "en_GB",
        "channel": "webshop-uk", "v.brand": ""}, headers={"HX-Request": "true"})
    assert saved.status_code == 200, saved.text
    with read_session() as session:
        count = len(variant_ids(session, root))
    row = re.search(r'id="cmp-webshop-uk-en_GB".*?</li>\s*</ul>', saved.text, re.S).group(0)
    assert f"0 of {count} variants pass" in row
    link = (f'href="/product-models/{root}?locale=en_GB&amp;channel=webshop-uk#f-brand" '
            'data-focus-field="f-brand"')
    assert link in row and f"({count} variants)" in row
