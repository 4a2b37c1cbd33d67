"""A SKU stored before the SKU alphabet may hold a "/": the API addresses it as one
percent-encoded path segment (``/api/v1/products/OLD%2F1``), its sub-resources too, on the
test client and on a live server (whose ASGI server decodes the path before routing)."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from pim.catalog.models import Product
from pim.db import session_scope
from pim.history.models import HistoryEntry
from tests.factories import electronics, write
from tests.integration.api.test_concurrent_writes import server  # noqa: F401 (a fixture)

PRODUCTS = "/api/v1/products"


def stored_as(sku: str, legacy_sku: str) -> None:
    """Write product ``sku``, then rename it to ``legacy_sku`` behind the write path's back,
    as a catalog from before the SKU alphabet holds it."""
    with session_scope() as session:
        write(session, electronics(sku))
    with session_scope() as session:
        session.execute(update(Product).where(Product.sku == sku).values(sku=legacy_sku))
        session.execute(update(HistoryEntry).where(HistoryEntry.entity == "product",
                                                   HistoryEntry.code == sku)
                        .values(code=legacy_sku))


def name_patch(text: str) -> dict:
    return {"values": {"name": [{"locale": "en_GB", "scope": None, "data": text}]}}


@pytest.fixture
def legacy(world) -> str:
    stored_as("LEGACY-1", "OLD/1")
    return f"{PRODUCTS}/OLD%2F1"


def test_a_sku_with_a_slash_is_read_by_its_encoded_segment(client, world, legacy):
    response = client.get(legacy, headers=world.auth("viewer"))

    assert response.status_code == 200, response.text
    assert response.json()["sku"] == "OLD/1"
    assert response.headers["etag"] == '"1"'
    lower = client.get(legacy.replace("%2F", "%2f"), headers=world.auth("viewer"))
    assert lower.status_code == 200 and lower.json()["sku"] == "OLD/1"


def test_a_sku_with_a_slash_is_patched_with_if_match(client, world, legacy):
    response = client.patch(legacy, json=name_patch("Renamed"),
                            headers={**world.auth("editor"), "If-Match": '"1"'})

    assert response.status_code == 200, response.text
    assert (response.json()["sku"], response.headers["etag"]) == ("OLD/1", '"2"')
    stale = client.patch(legacy, json=name_patch("Late"),
                         headers={**world.auth("editor"), "If-Match": '"1"'})
    assert stale.status_code == 412, stale.text


def test_a_sku_with_a_slash_has_its_associations_put_and_read(client, world, legacy):
    response = client.put(f"{legacy}/associations", json={"X_SELL": [{"sku": "EL-1"}]},
                          headers=world.auth("editor"))

    assert response.status_code == 200, response.text
    links = client.get(f"{legacy}/associations", headers=world.auth("viewer")).json()
    assert [link["sku"] for link in links["X_SELL"]] == ["EL-1"]


def test_a_sku_with_a_slash_is_disabled_then_restored_from_its_history(client, world, legacy):
    disabled = client.post(f"{legacy}/disable", headers=world.auth("editor"))
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["enabled"] is False

    history = client.get(f"{legacy}/history", headers=world.auth("viewer"))
    assert [entry["version"] for entry in history.json()] == [1, 2]
    restored = client.post(f"{legacy}/restore", json={"version": 1},
                           headers=world.auth("editor"))
    assert restored.status_code == 200, restored.text
    assert (restored.json()["sku"], restored.json()["enabled"]) == ("OLD/1", True)


def test_an_encoded_slash_stays_in_its_segment_never_naming_a_sub_resource(client, world):
    stored_as("LEGACY-2", "EL-1/history")

    product = client.get(f"{PRODUCTS}/EL-1%2Fhistory", headers=world.auth("viewer"))
    history = client.get(f"{PRODUCTS}/EL-1/history", headers=world.auth("viewer"))

    assert product.status_code == 200 and product.json()["sku"] == "EL-1/history"
    assert history.status_code == 200 and isinstance(history.json(), list)
    assert client.get(f"{PRODUCTS}/OLD/1", headers=world.auth("viewer")).status_code == 404


def test_a_new_sku_with_an_encoded_slash_is_still_refused(client, world):
    response = client.put("/api/v1/product-models/NEW%2FMODEL", json={
        "family_variant": "apparel_colour_size"}, headers=world.auth("editor"))

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "code"


def test_a_nul_beside_an_encoded_slash_is_still_400(client, world, legacy):
    response = client.get(f"{legacy}%00", headers=world.auth("viewer"))

    assert response.status_code == 400, response.text


def test_a_live_server_reads_and_patches_a_sku_with_a_slash(server, world, legacy):  # noqa: F811
    with httpx.Client(base_url=server, timeout=60) as http:
        read = http.get(legacy, headers=world.auth("viewer"))
        patched = http.patch(legacy, json=name_patch("Live"),
                             headers={**world.auth("editor"), "If-Match": read.headers["etag"]})

    assert read.status_code == 200 and read.json()["sku"] == "OLD/1"
    assert patched.status_code == 200, patched.text
    assert patched.json()["values"]["name"][0]["data"] == "Live"
