"""A product model's page in a real browser: it starts on a channel that carries its family,
shows its variants' completeness, and links its history (read-only: no restore)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

MODEL = "AP-00001"  # a demo root model: three colour models of five sizes below it


def test_the_model_page_shows_its_variants_completeness_and_its_history(pages):
    page = pages.page
    pages.sign_in("editor", then=f"/product-models/{MODEL}")
    # distributor-eu comes first by code but carries no apparel
    assert page.locator("#sw-channel").input_value() == "google-retail"
    panel = page.locator("#completeness")
    assert panel.get_by_role("heading", name="Completeness of its variants").is_visible()
    rows = panel.locator("li.completeness-row")
    assert rows.count() >= 1
    assert re.search(r"\d+ of \d+ variants? pass", rows.first.inner_text())
    pages.check_accessibility()
    page.get_by_role("link", name="History", exact=True).click()
    page.wait_for_url(re.compile(rf"/product-models/{MODEL}/history$"))
    assert page.get_by_role("heading", name=re.compile(r"^History")).is_visible()
    assert page.locator("li.version").count() >= 1
    assert page.get_by_role("button", name=re.compile("Restore")).count() == 0
    pages.check_accessibility()
    pages.screenshot("model-history")
    page.get_by_role("link", name="Open the product model").click()
    page.wait_for_url(re.compile(rf"/product-models/{MODEL}$"))
