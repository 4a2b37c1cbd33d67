"""Hostile values and parameters over the API (issue #18 items 2, 4 and 8): numbers bounded
before expansion, NUL characters, ids and versions past the database's range, Unicode
digits, bodies nested 1,000 deep, malformed dates and media paths: each a 4xx naming the
field, on SQLite and PostgreSQL, and nothing stored."""

from __future__ import annotations

import json

import pytest

from tests.factories import one

PRODUCT = "/api/v1/products/EL-1"


def patch_values(client, world, **values):
    return client.patch(PRODUCT, json={"values": values}, headers=world.auth("editor"))


def refused(response, status: int = 422) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def fields(problem: dict) -> list[str]:
    return [error["field"] for error in problem["errors"]]


@pytest.mark.parametrize("amount", ["1e30000000", "1e999999999999999999", 10**30,
                                    "1" * 19, "0.12345678901", "9" * 65])
def test_measurement_amounts_beyond_the_precision_are_422(client, world, amount):
    problem = refused(patch_values(client, world, weight=one({"amount": amount,
                                                               "unit": "KILOGRAM"})))

    assert fields(problem) == ["values.weight[0].data"]
    assert len(json.dumps(problem)) < 2000  # the refusal does not echo the number in full
    stored = client.get(PRODUCT, headers=world.auth("viewer")).json()
    assert "weight" not in stored["values"]


@pytest.mark.parametrize("amount", [10**26, "1e26", "123456789012345678901", 1e300])
def test_prices_beyond_the_precision_are_422(client, world, amount):
    problem = refused(patch_values(client, world, sale_price=one([{"amount": amount,
                                                              "currency": "GBP"}])))

    assert fields(problem) == ["values.sale_price[0].data"]
    assert "too large" in problem["detail"] or "longer than" in problem["detail"]


def test_the_largest_price_the_precision_allows_is_stored(client, world):
    response = patch_values(client, world, sale_price=one([{"amount": "999999999999999999.99",
                                                       "currency": "GBP"}]))

    assert response.status_code == 200, response.text
    assert response.json()["values"]["sale_price"][0]["data"][0]["amount"] == "999999999999999999.99"


@pytest.mark.parametrize("quantity", [2**63, 2**64 + 1, 10**10, 0])
def test_min_quantity_out_of_range_is_422(client, world, quantity):
    body = json.dumps({"values": {"sale_price": one([
        {"amount": "1.00", "currency": "GBP"},
        {"amount": "0.90", "currency": "GBP", "min_quantity": quantity}])}})

    problem = refused(client.patch(PRODUCT, content=body, headers={
        **world.auth("editor"), "Content-Type": "application/json"}))

    assert fields(problem) == ["values.sale_price[0].data"]
    assert "min_quantity" in problem["detail"]


def test_a_negative_zero_price_is_stored_as_zero(client, world):
    response = patch_values(client, world, sale_price=one([{"amount": "-0", "currency": "GBP"}]))

    assert response.status_code == 200, response.text
    assert response.json()["values"]["sale_price"][0]["data"][0]["amount"] == "0.00"


def test_a_superscript_digit_in_an_ean_is_422(client, world):
    problem = refused(patch_values(client, world, ean=one("501234567890²")))

    assert fields(problem) == ["values.ean[0].data"]
    assert "GTIN" in problem["detail"]


def test_a_superscript_digit_in_if_match_is_412_not_500(client, world):
    response = client.patch(PRODUCT, json={"enabled": False},
                            headers={**world.auth("editor"), "If-Match": '"²"'.encode()})

    assert response.status_code == 412


@pytest.mark.parametrize("text", ["2020-01-01Tgarbage", "2020-01-01T", "2020-01-01 x",
                                  "2020-1-1", "２０２０-01-01"])
def test_malformed_dates_are_422(client, world, text):
    problem = refused(patch_values(client, world, release_date=one(text)))

    assert fields(problem) == ["values.release_date[0].data"]


def test_a_date_with_a_time_keeps_its_date(client, world):
    response = patch_values(client, world, release_date=one("2020-01-01T10:30:00+02:00"))

    assert response.json()["values"]["release_date"][0]["data"] == "2020-01-01"


@pytest.mark.parametrize("path", ["..\\..\\etc\\passwd", "file:///etc/passwd", "/etc/passwd",
                                  "a/../../b.jpg", "C:\\images\\a.jpg", "data:image/png,xx"])
def test_media_paths_outside_the_media_folder_are_422(client, world, path):
    problem = refused(patch_values(client, world, image=one(path)))

    assert fields(problem) == ["values.image[0].data"]


# -- NUL characters ---------------------------------------------------------------------------


def test_a_nul_in_a_new_sku_is_422_naming_it(client, world):
    body = '{"sku": "NUL\\u0000SKU", "family": "electronics"}'

    problem = refused(client.post("/api/v1/products", content=body, headers={
        **world.auth("editor"), "Content-Type": "application/json"}))

    assert fields(problem) == ["sku"]


def test_a_nul_in_a_value_is_422_naming_it(client, world):
    body = '{"values": {"brand": [{"locale": null, "scope": null, "data": "a\\u0000b"}]}}'

    problem = refused(client.patch(PRODUCT, content=body, headers={
        **world.auth("editor"), "Content-Type": "application/json"}))

    assert fields(problem) == ["values.brand[0].data"]


def test_a_nul_in_a_label_is_422_naming_it(client, world):
    body = '{"labels": {"en_GB": "x\\u0000"}}'

    problem = refused(client.put("/api/v1/attributes/brand/options/nul_option", content=body,
                                 headers={**world.auth("admin"),
                                          "Content-Type": "application/json"}))

    assert fields(problem) == ["labels.en_GB"]


@pytest.mark.parametrize("url", [
    "/api/v1/products?family=a%00b", "/api/v1/products?q=%00", "/api/v1/products/EL%001",
    "/api/v1/products/EL%001/history", "/api/v1/product-models/x%00", "/api/v1/jobs?kind=%00",
    "/api/v1/channels/web%00shop", "/api/v1/products?channel=x%00&status=draft",
    "/api/v1/attributes/x%00", "/api/v1/completeness?channel=%00",
])
def test_a_nul_in_a_query_or_path_parameter_is_400_naming_it(client, world, url):
    problem = refused(client.get(url, headers=world.auth("viewer")), 400)

    assert problem["errors"][0]["field"] in ("path", "family", "q", "kind", "channel")


def test_a_nul_in_a_feed_path_is_400(client, world):
    refused(client.get("/feeds/web%00shop/ndjson", headers={"X-Feed-Key": "x"}), 400)


# -- nesting, ids and versions ----------------------------------------------------------------


def test_json_nested_a_thousand_levels_is_400(client, world):
    body = '{"values": {"brand": [{"data": ' + "[" * 1000 + "]" * 1000 + "}]}}"

    problem = refused(client.patch(PRODUCT, content=body, headers={
        **world.auth("editor"), "Content-Type": "application/json"}), 400)

    assert "nested more than" in problem["detail"]


def test_json_nested_deeper_than_the_bound_is_400_naming_where(client, world):
    body = '{"values": {"brand": [{"data": ' + "[" * 70 + "]" * 70 + "}]}}"

    problem = refused(client.patch(PRODUCT, content=body, headers={
        **world.auth("editor"), "Content-Type": "application/json"}), 400)

    assert problem["errors"][0]["field"].startswith("values.brand[0].data")


@pytest.mark.parametrize("url", ["/api/v1/tokens/9223372036854775808/revoke",
                                 "/api/v1/tokens/2147483648/revoke",
                                 "/api/v1/feed-keys/2147483648/revoke",
                                 "/api/v1/feed-keys/99999999999999999999999/revoke"])
def test_ids_past_the_database_range_are_400_naming_them(client, world, url):
    problem = refused(client.post(url, headers=world.auth("admin")), 400)

    assert problem["errors"][0]["field"] in ("token_id", "key_id")


def test_unknown_ids_in_range_are_404(client, world):
    refused(client.post("/api/v1/feed-keys/2147483647/revoke", headers=world.auth("admin")), 404)


@pytest.mark.parametrize("version", [2**31, 2**63, -1])
def test_restore_with_a_version_past_the_range_is_4xx_naming_it(client, world, version):
    response = client.post(f"{PRODUCT}/restore", json={"version": version},
                           headers=world.auth("editor"))

    assert response.status_code in (400, 422), response.text
    assert response.json()["errors"][0]["field"] == "version"


def test_a_bulk_line_with_a_version_past_the_range_is_refused_on_its_line(client, world):
    line = json.dumps({"sku": "EL-1", "version": 2**31})

    response = client.patch("/api/v1/products", content=line, headers={
        **world.auth("editor"), "Content-Type": "application/x-ndjson"})

    [status] = [json.loads(text) for text in response.text.splitlines()]
    assert status["status"] == "refused" and status["errors"][0]["field"] == "version"
