"""The SKU and code alphabet (issue #18 item 5) and the structure writes that ignored their
input (item 8): refused with the field named by every writer, existing SKUs untouched."""

from __future__ import annotations

import json

import pytest

from pim.catalog.products import WritePolicy
from pim.db import session_scope
from pim.records import ProductRecord
from tests.factories import electronics, write

HOSTILE_SKUS = ["a/b", "../../etc/passwd", "a\\b", "tab\there", "rtl\u202eoverride",
                "zero\u200bwidth", " padded", "padded ", "..", "x" * 256, "del\x7f"]


@pytest.mark.parametrize("sku", HOSTILE_SKUS)
def test_the_api_refuses_a_new_sku_outside_the_alphabet(client, world, sku):
    response = client.post("/api/v1/products", json={"sku": sku, "family": "electronics"},
                           headers=world.auth("editor"))

    assert response.status_code in (400, 422), response.text  # 400: the body's own bounds
    assert [e["field"] for e in response.json()["errors"]] == ["sku"]


def test_the_bulk_upsert_refuses_a_new_sku_outside_the_alphabet_on_its_line(client, world):
    body = "\n".join(json.dumps({"sku": sku, "family": "electronics"})
                     for sku in ("a/b", "GOOD-1"))

    response = client.patch("/api/v1/products", content=body, headers={
        **world.auth("editor"), "Content-Type": "application/x-ndjson"})

    out = [json.loads(line) for line in response.text.splitlines()]
    assert [o["status"] for o in out] == ["refused", "created"]
    assert out[0]["errors"][0]["field"] == "sku"


def test_imports_and_erp_pulls_refuse_such_a_sku_through_the_one_write_path(database):
    from tests.factories import make_catalog

    with session_scope() as session:
        make_catalog(session)
        for kind in ("import", "erp"):
            [result] = write(session, electronics("../../etc/passwd"),
                             source=f"{kind}:test", policy=WritePolicy(kind))  # type: ignore[arg-type]
            assert result.status == "refused"
            assert result.errors[0]["field"] == "sku"


def test_an_existing_sku_outside_the_alphabet_stays_readable_and_writable(database):
    from pim.catalog.models import Product
    from tests.factories import make_catalog

    with session_scope() as session:
        make_catalog(session)
        write(session, electronics("LEGACY"))
        session.query(Product).filter_by(sku="LEGACY").update({"sku": "legacy/1"})
    with session_scope() as session:
        [result] = write(session, ProductRecord(sku="legacy/1", enabled=False))

    assert result.status == "updated", result.errors


def test_a_product_model_code_outside_the_alphabet_is_422(client, world):
    response = client.put("/api/v1/product-models/a%5Cb", json={
        "family_variant": "apparel_colour_size"}, headers=world.auth("editor"))

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "code"


def test_an_empty_product_model_put_creates_nothing(client, world):
    response = client.put("/api/v1/product-models/EMPTY-MODEL", json={},
                          headers=world.auth("editor"))

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "family_variant"
    assert client.get("/api/v1/product-models/EMPTY-MODEL",
                      headers=world.auth("viewer")).status_code == 404


def test_an_attribute_put_with_another_code_in_its_body_is_422(client, world):
    response = client.put("/api/v1/attributes/brand", json={"code": "other", "type": "text"},
                          headers=world.auth("admin"))

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "code"
    assert client.get("/api/v1/attributes/other", headers=world.auth("viewer")).status_code == 404
