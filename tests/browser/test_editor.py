"""The product editor in a real browser: opening a product, fixing what a channel reports
missing and watching its completeness rise, switching locale and channel, a stale save and
its merge, the review actions, what a viewer sees and a forged save, keyboard and a narrow
screen. Each test edits its own products (no other browser test touches them)."""

from __future__ import annotations

import re

import pytest

from tests.browser.htmx import settled

pytestmark = pytest.mark.browser

FIX_SKU = "EL-000061"
MERGE_SKU = "EL-000062"
KEYS_SKU = "EL-000063"
REVIEW_SKU = "EL-000064"
READ_SKU = "EL-000065"
VARIANT_SKU = "AP-00001"  # prefix: the first variant of the second style


def percent(page, channel: str, locale: str) -> int:
    row = page.locator(f"#cmp-{channel}-{locale}")
    return int(row.get_attribute("data-percent"))


def save(page) -> None:
    with settled(page):
        page.get_by_role("button", name="Save", exact=True).click()


def test_a_product_opens_with_its_groups_panels_and_passes_axe(pages):
    page = pages.page
    pages.sign_in("editor", then=f"/products/{READ_SKU}")
    assert page.get_by_role("heading", level=1).is_visible()
    for group in ("Marketing", "Identifiers", "Prices", "Specs"):
        assert page.locator("legend", has_text=group).count() == 1
    assert page.get_by_role("heading", name="Completeness").is_visible()
    assert page.get_by_role("heading", name=re.compile("^Channel preview")).is_visible()
    assert page.get_by_role("link", name="History").get_attribute("href") == (
        f"/products/{READ_SKU}/history")
    # ERP-owned: read-only, with where it comes from.
    erp = page.locator("#field-price")
    assert erp.locator(".chip-erp").is_visible()
    assert erp.locator("input").count() == 0
    pages.check_accessibility()


def test_fixing_a_field_a_channel_reports_missing_raises_its_completeness(pages):
    page = pages.page
    pages.sign_in("editor", then=f"/products/{FIX_SKU}?locale=en_GB&channel=webshop-uk")
    before = percent(page, "webshop-uk", "en_GB")
    # Clear the brand: webshop-uk requires it.
    page.get_by_label("Brand", exact=True).fill("")
    save(page)
    assert page.get_by_text("Saved as version").is_visible()
    dropped = percent(page, "webshop-uk", "en_GB")
    assert dropped < before
    pages.screenshot("missing")
    # The panel names it; its link focuses the field.
    problem = page.locator("#cmp-webshop-uk-en_GB").get_by_role("link", name="brand")
    problem.click()
    assert page.evaluate("document.activeElement.id") == "f-brand"
    page.keyboard.type("Voltia")
    save(page)
    assert percent(page, "webshop-uk", "en_GB") > dropped
    assert page.get_by_label("Brand", exact=True).input_value() == "Voltia"
    pages.check_accessibility()


def test_switching_locale_and_channel_shows_their_values(pages):
    page = pages.page
    pages.sign_in("viewer", then=f"/products/{READ_SKU}?locale=en_GB&channel=webshop-uk")
    english = page.locator("#f-name").inner_text()
    page.get_by_label("Locale", exact=True).select_option("de_DE")
    page.wait_for_url(re.compile(r"locale=de_DE"))
    german = page.locator("#f-name").inner_text()
    assert german != english and german.strip()
    page.get_by_label("Channel", exact=True).select_option("magento-store")
    page.wait_for_url(re.compile(r"channel=magento-store"))
    assert "Magento" in page.locator("#preview-title").inner_text()
    assert page.locator("#cmp-magento-store-de_DE.is-current").count() == 1
    pages.check_accessibility()


def test_a_stale_save_shows_the_merge_and_keeps_the_chosen_values(pages, chromium, hub):
    page = pages.page
    pages.sign_in("editor", then=f"/products/{MERGE_SKU}")
    # Someone else opens the same version and saves first.
    other = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        theirs = other.new_page()
        theirs.goto(pages.url(f"/products/{MERGE_SKU}"))
        theirs.get_by_label("E-mail").fill(hub.email("admin"))
        from tests.browser.hub import PASSWORD
        theirs.get_by_label("Password").fill(PASSWORD)
        theirs.get_by_role("button", name="Sign in").click()
        theirs.wait_for_url(re.compile(MERGE_SKU))
        theirs.get_by_label("Brand", exact=True).fill("Their brand")
        theirs.get_by_label("Material").fill("Their material") if theirs.get_by_label(
            "Material").count() else None
        with theirs.expect_response(lambda r: r.request.method == "POST"):
            theirs.get_by_role("button", name="Save", exact=True).click()
    finally:
        other.close()
    pages.allow_status(409)
    page.get_by_label("Brand", exact=True).fill("My brand")
    page.get_by_label("MPN").fill("MY-MPN-1")
    save(page)
    merge = page.locator("#merge")
    assert merge.is_visible()
    assert "Their brand" in merge.inner_text() and "My brand" in merge.inner_text()
    pages.screenshot("merge")
    pages.check_accessibility()
    # Brand: both changed, a choice is required; keep theirs. MPN: only mine, kept.
    page.locator("#merge-brand").get_by_label("Theirs").check()
    save(page)
    assert page.get_by_text("Saved as version").is_visible()
    assert page.get_by_label("Brand", exact=True).input_value() == "Their brand"
    assert page.get_by_label("MPN").input_value() == "MY-MPN-1"


def test_ctrl_s_saves_and_a_refused_value_stays_at_its_field(pages):
    page = pages.page
    pages.allow_status(422)
    pages.sign_in("editor", then=f"/products/{KEYS_SKU}")
    field = page.get_by_label("EAN")
    field.fill("5012345678901")
    assert "check digit" in page.locator("#f-ean-live").inner_text().lower()
    page.get_by_label("Warranty years").fill("eleven")
    with settled(page):
        page.keyboard.press("Control+s")
    assert "not a number" in page.locator("#f-warranty_years-error").inner_text()
    assert page.get_by_label("Warranty years").input_value() == "eleven"
    assert page.get_by_label("EAN").input_value() == "5012345678901"
    pages.check_accessibility()
    page.get_by_label("Warranty years").fill("3")
    page.get_by_label("EAN").fill("5012345678900")
    with settled(page):
        page.keyboard.press("Control+s")
    assert page.get_by_text("Saved as version").is_visible()


def test_rich_text_is_edited_formatted_and_saved_sanitized(pages):
    page = pages.page
    pages.sign_in("editor", then=f"/products/{KEYS_SKU}")
    area = page.locator("#f-description-rte")
    area.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Extra")
    page.get_by_role("button", name="Bold", exact=True).first.click()
    page.keyboard.type(" strong words")
    save(page)
    assert page.get_by_text("Saved as version").is_visible()
    assert "strong words" in page.locator("#f-description-rte").inner_html()
    assert page.locator("#f-description-rte strong, #f-description-rte b").count() >= 1


def test_a_product_goes_to_review_and_a_reviewer_approves_it(pages):
    page = pages.page
    pages.sign_in("editor", then=f"/products/{REVIEW_SKU}?channel=webshop-uk")
    row = page.locator("#wf-webshop-uk")
    with settled(page):
        row.get_by_role("button", name=re.compile("Submit for review")).click()
    assert "in review" in page.locator("#wf-webshop-uk").inner_text()
    page.get_by_role("button", name="Sign out").click()
    pages.sign_in("reviewer", then=f"/products/{REVIEW_SKU}?channel=webshop-uk")
    with settled(page):
        page.locator("#wf-webshop-uk").get_by_role("button", name=re.compile("Approve")).click()
    assert "approved" in page.locator("#wf-webshop-uk").inner_text()
    assert page.locator("form[data-editor-form]").count() == 0  # reviewers do not edit


def test_a_viewer_sees_no_edit_control_and_a_forged_save_is_refused(pages):
    page = pages.page
    pages.sign_in("viewer", then=f"/products/{READ_SKU}")
    assert page.locator("form[data-editor-form]").count() == 0
    assert page.get_by_role("button", name="Save").count() == 0
    assert page.get_by_role("button", name=re.compile("Submit for review")).count() == 0
    assert page.locator("main input:not([type=hidden]):not([type=search])").count() == 0
    pages.allow_status(403)
    # With the session's own token: the service refuses the role.
    token = page.evaluate(
        "JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token']")
    refused = page.request.post(pages.url(f"/products/{READ_SKU}"), form={
        "_csrf_token": token, "version": "1", "v.brand": "Forged"}, max_redirects=0)
    assert refused.status == 403
    # Without a token: refused before any handler.
    forged = page.request.post(pages.url(f"/products/{READ_SKU}"),
                               form={"version": "1", "v.brand": "Forged"}, max_redirects=0)
    assert forged.status == 403
    pages.goto(f"/products/{READ_SKU}")
    assert "Forged" not in page.content()


def test_a_variant_shows_inherited_values_linked_to_their_model(pages):
    page = pages.page
    pages.sign_in("editor", then="/products?q=" + VARIANT_SKU)
    pages.goto(f"/products/{variant_sku(pages)}")
    name = page.locator("#field-name")
    assert name.locator(".chip-inherited").is_visible()
    link = name.get_by_role("link")
    assert link.get_attribute("href").startswith("/product-models/")
    pages.check_accessibility()


def variant_sku(pages) -> str:
    response = pages.page.request.get(pages.url("/products/AP-00001-BLACK-M"))
    if response.status == 200:
        return "AP-00001-BLACK-M"
    # Colours are drawn per style: find one of the style's variants.
    for colour in ("WHITE", "NAVY", "RED", "GREEN", "GREY"):
        sku = f"AP-00001-{colour}-M"
        if pages.page.request.get(pages.url(f"/products/{sku}")).status == 200:
            return sku
    raise AssertionError("no variant of AP-00001 found")


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_the_editor_fits_a_390_px_screen(pages, role):
    page = pages.page
    page.set_viewport_size({"width": 390, "height": 844})
    pages.sign_in(role, then=f"/products/{READ_SKU}")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the editor is {width} px wide at 390 px"
    pages.check_accessibility()
