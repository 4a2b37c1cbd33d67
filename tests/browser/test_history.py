"""A product's history in a real browser: the versions and their diff, restoring a version
(a new version), what a viewer sees, a forged restore, and a narrow screen."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

SKU = "SP-000017"  # no other browser test edits it


@pytest.fixture(scope="module")
def edited(hub) -> str:
    """SP-000017 with a second version: its English description rewritten by an import."""
    from pim.catalog.products import CatalogCache, WritePolicy, write_products
    from pim.db import dispose_engines, session_scope
    from pim.records import ProductRecord

    with session_scope(hub.database_url) as session:
        [result] = write_products(session, [ProductRecord(sku=SKU, values={"description": [{
            "locale": "en_GB", "scope": None,
            "data": "<p>A rebuilt pump seal for the older housings, tested at the factory "
                    "and shipped with a new gasket.</p>"}]})],
            actor="nightly-import", source="import:42", policy=WritePolicy("system"),
            cache=CatalogCache(session))
        assert result.status == "updated", result.errors
    dispose_engines()
    return SKU


def test_restoring_a_version_from_history_makes_a_new_version(pages, edited):
    page = pages.page
    pages.sign_in("editor", then=f"/products/{edited}/history")
    assert page.get_by_role("heading", name=re.compile(r"^History")).is_visible()
    newest = page.locator("li.version").first
    assert "nightly-import" in newest.inner_text()
    assert newest.locator("ins").count() >= 1 and newest.locator("del").count() >= 1
    pages.check_accessibility()
    pages.screenshot("before")
    page.get_by_role("button", name="Restore version 1").click()
    page.wait_for_url(re.compile(r"restored=1"))
    assert "the product is now at version 3" in page.get_by_role("status").inner_text()
    restored = page.locator("li.version").first
    assert restored.get_by_role("heading").inner_text().startswith("Version 3")
    assert "Web UI" in restored.inner_text() and "restored v1" in restored.inner_text()
    pages.check_accessibility()


def test_a_viewer_sees_no_restore_control_and_a_forged_restore_is_refused(pages, edited):
    page = pages.page
    pages.sign_in("viewer", then=f"/products/{edited}/history")
    assert page.locator("li.version").count() >= 2
    assert page.get_by_role("button", name=re.compile("Restore")).count() == 0
    # A cross-site form would carry the cookie but not the token: refused before anything.
    response = page.request.post(pages.url(f"/products/{edited}/restore"),
                                 form={"version": "1", "current": "2"}, max_redirects=0)
    assert response.status == 403
    pages.check_accessibility()


def test_history_fits_a_390_px_screen(pages, edited):
    page = pages.page
    page.set_viewport_size({"width": 390, "height": 844})
    pages.sign_in("editor", then=f"/products/{edited}/history")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the history page is {width} px wide at 390 px"
    pages.check_accessibility()
