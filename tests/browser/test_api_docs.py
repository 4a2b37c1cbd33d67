"""The API docs (Swagger UI at /schema/swagger) work on a machine without internet: every
file they load comes from the hub."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_swagger_ui_renders_every_operation_with_nothing_loaded_from_outside(pages):
    page = pages.page
    outside: list[str] = []

    def only_the_hub(route):
        if route.request.url.startswith(pages.hub.url + "/"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("blockedbyclient")

    page.route("**/*", only_the_hub)
    document = page.request.get(pages.url("/schema/openapi.json")).json()
    operations = sum(1 for item in document["paths"].values()
                     for method in item
                     if method in ("get", "head", "put", "post", "patch", "delete"))
    pages.goto("/schema/swagger")
    page.locator(".opblock").first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    assert page.locator(".opblock").count() == operations
    assert page.locator(".opblock-summary-path", has_text="/api/v1/products/{sku}").count() >= 1
    assert page.get_by_role("heading", name="PIM hub API").first.is_visible()
    assert outside == []
