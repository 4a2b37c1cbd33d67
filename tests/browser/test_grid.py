"""The product grid in a real browser: results as you type without a page load, facets that
narrow and stay in the URL, sorting, paging, the keyboard, the dashboard's links, and a
narrow screen."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def grid_skus(page) -> list[str]:
    return page.locator("table.product-grid td.sku").all_inner_texts()


def test_search_as_you_type_then_narrow_by_facets(pages):
    page = pages.page
    pages.sign_in("editor", then="/products")
    assert page.get_by_role("heading", name="Products").is_visible()
    pages.check_accessibility()
    page.evaluate("window.__samePage = true")  # gone if anything loads a whole page
    page.get_by_label("Search products").press_sequentially("Voltia", delay=40)
    page.wait_for_url(re.compile(r"q=Voltia"))
    page.wait_for_load_state("networkidle")
    assert grid_skus(page)
    assert "Voltia" in page.locator("#grid").inner_text()

    page.locator("#facet-family-electronics").click()
    page.wait_for_url(re.compile(r"family=electronics"))
    page.wait_for_load_state("networkidle")
    assert query_of(page.url) == {"q": ["Voltia"], "family": ["electronics"]}
    assert grid_skus(page) and all(s.startswith("EL-") for s in grid_skus(page))

    page.locator("#facet-channel-webshop-uk").click()
    page.wait_for_url(re.compile(r"channel=webshop-uk"))
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("columnheader", name="Status").is_visible()
    assert page.evaluate("window.__samePage === true")
    pages.check_accessibility()
    pages.screenshot("narrowed")

    # The view is a link: opened afresh it shows the same products.
    shown = grid_skus(page)
    pages.goto(urlsplit(page.url).path + "?" + urlsplit(page.url).query)
    assert grid_skus(page) == shown
    assert page.get_by_label("Search products").input_value() == "Voltia"


def test_a_chip_removes_its_filter_and_back_returns_to_the_view_before(pages):
    page = pages.page
    pages.sign_in("viewer", then="/products?family=spare_parts&sort=sku")
    spare = grid_skus(page)
    assert spare and all(s.startswith("SP-") for s in spare)
    page.get_by_role("link", name=re.compile(r"Family: .*remove")).click()
    page.wait_for_url(lambda url: "family=" not in url)
    page.wait_for_load_state("networkidle")
    assert any(not s.startswith("SP-") for s in grid_skus(page))
    page.go_back()
    page.wait_for_url(re.compile(r"family=spare_parts"))
    page.wait_for_load_state("networkidle")
    assert grid_skus(page) == spare


def test_sorting_and_the_next_page(pages):
    page = pages.page
    pages.sign_in("viewer", then="/products")
    page.get_by_role("link", name=re.compile(r"^SKU")).click()
    page.wait_for_url(re.compile(r"sort=sku"))
    page.wait_for_load_state("networkidle")
    first = grid_skus(page)
    assert first == sorted(first)
    assert page.get_by_label("Sort by").input_value() == "sku"
    page.get_by_role("link", name=re.compile(r"^Next")).click()
    page.wait_for_url(re.compile(r"after="))
    page.wait_for_load_state("networkidle")
    second = grid_skus(page)
    assert second and second[0] > first[-1]


def test_slash_focuses_the_grid_search_with_a_visible_focus_ring(pages):
    page = pages.page
    pages.sign_in("viewer", then="/products")
    page.locator("h1").click()
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "grid-q"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")
    page.keyboard.type("SP-0000")
    page.wait_for_url(re.compile(r"q=SP-0000"))
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.activeElement.id") == "grid-q"  # typing goes on


def test_the_dashboard_figures_open_the_grid_filtered(pages):
    page = pages.page
    pages.sign_in("viewer")
    page.locator("#channel-webshop-uk").locator("xpath=..").get_by_role(
        "link", name=re.compile("With errors")).click()
    page.wait_for_url(re.compile(r"/products\?channel=webshop-uk&errors=yes"))
    assert page.get_by_role("link", name="With errors (remove)").is_visible()
    pages.check_accessibility()


def test_the_grid_fits_a_390_px_screen(pages):
    page = pages.page
    page.set_viewport_size({"width": 390, "height": 844})
    pages.sign_in("editor", then="/products?channel=webshop-uk")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the grid is {width} px wide at 390 px"
    # The filters come after the results here: a link at the top leads to them.
    jump = page.get_by_role("link", name="Filters ↓")
    assert jump.is_visible()
    jump.click()
    assert page.locator("#facets-title").is_visible()
    assert page.evaluate("document.getElementById('facets-title').getBoundingClientRect().top")\
        < 844
    pages.check_accessibility()


def test_an_editor_submits_selected_products_for_review_and_a_forged_post_is_refused(pages):
    page = pages.page
    pages.sign_in("editor", then="/products?channel=webshop-ie&family=electronics&sort=-sku")
    rows = page.locator("table.product-grid tbody tr")
    chosen = [rows.nth(n).locator("td.sku").inner_text() for n in range(2)]
    for sku in chosen:
        page.get_by_label(f"Select {sku}", exact=True).check()
    assert page.locator("#bulk-count").inner_text() == "2 selected:"
    pages.check_accessibility()
    page.get_by_role("button", name=re.compile("Submit for review")).click()
    page.wait_for_url(re.compile(r"done=submit&n=2"))
    assert "2 products submitted for review" in page.locator(".alert-info").inner_text()
    # The same request without the form's token, as another site would send it: refused.
    response = page.request.post(pages.url("/workflow/bulk"), form={
        "action": "submit", "channel": "webshop-ie", "sku": chosen[0]}, max_redirects=0)
    assert response.status == 403


def test_a_refused_bulk_action_keeps_the_selection_and_says_why_beside_the_bar(pages):
    page = pages.page
    pages.allow_status(409)
    pages.sign_in("reviewer", then="/products?channel=webshop-uk&family=electronics&sort=sku")
    rows = page.locator("table.product-grid tbody tr")
    chosen = [rows.nth(n).locator("td.sku").inner_text() for n in range(2)]
    for sku in chosen:
        page.get_by_label(f"Select {sku}", exact=True).check()
    # Drafts cannot be approved: the batch is refused whole.
    page.get_by_role("button", name="Approve").click()
    error = page.locator("#bulk-form #bulk-error")
    error.wait_for()
    assert "Nothing was changed." in error.inner_text() and chosen[0] in error.inner_text()
    for sku in chosen:
        assert page.get_by_label(f"Select {sku}", exact=True).is_checked()
    assert page.locator("#bulk-count").inner_text() == "2 selected:"
    assert page.get_by_role("button", name="Approve").is_enabled()
    # The address is the grid view's again: a reload reads it, it does not post the action.
    address = urlsplit(page.url)
    assert address.path == "/products" and "channel=webshop-uk" in address.query
    page.reload()
    assert page.locator("#bulk-error").count() == 0
    assert page.locator("table.product-grid").is_visible()
    pages.check_accessibility()


def test_a_viewer_sees_no_bulk_control(pages):
    page = pages.page
    pages.sign_in("viewer", then="/products?channel=webshop-ie")
    assert page.locator("table.product-grid").is_visible()
    assert page.locator("#bulk-form").count() == 0
    assert page.get_by_role("checkbox").count() == 0
