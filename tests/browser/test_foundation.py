"""The web UI's foundation in a real browser: signing in, the dashboard and its links, roles,
CSRF, keyboard and narrow screens."""

from __future__ import annotations

import re

import pytest

from tests.browser.hub import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_in_lands_on_the_page_asked_for(pages):
    page = pages.page
    pages.goto("/")
    page.wait_for_url(re.compile(r"/sign-in"))
    pages.check_accessibility()
    pages.screenshot("form")
    page.get_by_label("E-mail").fill(pages.hub.email("editor"))
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(pages.url("/"))
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    assert page.get_by_text("editor@pim.test").is_visible()


def test_a_wrong_password_says_so_at_the_form(pages):
    page = pages.page
    pages.allow_status(400)
    pages.goto("/sign-in")
    page.get_by_label("E-mail").fill(pages.hub.email("editor"))
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.inner_text().startswith("The e-mail or the password")
    assert page.get_by_label("E-mail").input_value() == "editor@pim.test"
    pages.check_accessibility()


def test_the_dashboard_shows_every_channel_and_passes_axe(pages):
    pages.sign_in("admin")
    page = pages.page
    for channel in ("webshop-uk", "webshop-ie", "distributor-eu"):
        assert page.locator(f"#channel-{channel}").count() == 1
    assert page.locator("#completeness-chart").is_visible()
    pages.check_accessibility()


def test_dashboard_numbers_link_to_the_filtered_grid(pages):
    pages.sign_in("viewer")
    page = pages.page
    link = page.locator("#channel-webshop-uk").locator("xpath=..").get_by_role(
        "link", name=re.compile("With errors"))
    link.click()
    page.wait_for_url(re.compile(r"/products\?channel=webshop-uk&errors=yes"))


def test_slash_focuses_the_search_field(pages):
    pages.sign_in("viewer")
    page = pages.page
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    focused = page.evaluate("document.activeElement.getAttribute('name')")
    assert focused == "q"


def test_a_forged_post_without_the_csrf_token_is_refused(pages):
    pages.sign_in("viewer")
    # Sent with the browser's cookies, as a cross-site form would be, but without a token.
    response = pages.page.request.post(pages.url("/sign-out"), form={"x": "1"},
                                       max_redirects=0)
    assert response.status == 403
    pages.goto("/")
    assert pages.page.get_by_role("heading", name="Dashboard").is_visible()  # still signed in


def test_signing_out_returns_to_the_sign_in_page(pages):
    pages.sign_in("reviewer")
    page = pages.page
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in$"))
    pages.goto("/")
    page.wait_for_url(re.compile(r"/sign-in"))


@pytest.mark.parametrize("path", ["/", "/sign-in"])
def test_pages_fit_a_390_px_screen(pages, path):
    page = pages.page
    page.set_viewport_size({"width": 390, "height": 844})
    if path != "/sign-in":
        pages.sign_in("editor", then=path)
    else:
        pages.goto(path)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} is {width} px wide at 390 px"
    pages.check_accessibility()
