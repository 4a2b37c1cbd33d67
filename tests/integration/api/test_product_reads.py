"""The product read paths (GET /products/{sku}, GET /products) answer exactly what the write
path answers."""

from __future__ import annotations

import re

import msgspec
import orjson

from pim.catalog.read import fetch_product_json, get_product
from pim.db import read_session


def _link(sku: str, quantity: int | None = None) -> dict:
    return {"sku": sku, "quantity": quantity}


def test_read_shows_categories_associations_and_parent_as_written(client, world):
    editor = world.auth("editor")
    model = client.put("/api/v1/product-models/STYLE-1", headers=editor, json={
        "family": "apparel", "family_variant": "apparel_colour_size", "values": {}})
    assert model.status_code == 200, model.text
    created = client.post("/api/v1/products", headers=editor, json={
        "sku": "TEE-1", "family": "apparel", "parent": "STYLE-1",
        "categories": ["clothing_men", "audio"], "values": {}})
    assert created.status_code == 201, created.text
    linked = client.put("/api/v1/products/TEE-1/associations", headers=editor, json={
        "X_SELL": [_link("EL-2"), _link("EL-1")], "PACK": [_link("EL-3", 4)]})
    assert linked.status_code == 200, linked.text

    read = client.get("/api/v1/products/TEE-1", headers=world.auth("viewer"))
    assert read.status_code == 200
    assert read.json() == linked.json()
    assert read.headers["etag"] == linked.headers["etag"]
    body = read.json()
    assert body["parent"] == "STYLE-1"
    assert body["categories"] == ["audio", "clothing_men"]
    assert body["associations"] == {"PACK": [_link("EL-3", 4)],
                                    "X_SELL": [_link("EL-1"), _link("EL-2")]}


def test_a_listed_product_reads_as_it_does_alone(client, world):
    editor, viewer = world.auth("editor"), world.auth("viewer")
    client.put("/api/v1/product-models/STYLE-1", headers=editor, json={
        "family": "apparel", "family_variant": "apparel_colour_size", "values": {}})
    client.post("/api/v1/products", headers=editor, json={
        "sku": "TEE-1", "family": "apparel", "parent": "STYLE-1", "categories": ["audio"],
        "values": {}})
    client.put("/api/v1/products/EL-2/associations", headers=editor,
               json={"PACK": [_link("EL-3", 2)], "X_SELL": [_link("TEE-1")]})
    page = client.get("/api/v1/products", params={"limit": 10}, headers=viewer)
    assert page.status_code == 200
    assert page.json()["limit"] == 10 and page.json()["next_cursor"] is None
    listed = page.json()["items"]
    assert [p["sku"] for p in listed] == ["EL-1", "EL-2", "EL-3", "TEE-1"]
    for product in listed:
        alone = client.get(f"/api/v1/products/{product['sku']}", headers=viewer).json()
        assert product == alone


def test_fetch_product_json_is_the_session_read_encoded(world):
    with read_session() as session:
        expected = get_product(session, "EL-1")
    body, version = fetch_product_json("EL-1")
    assert version == expected["version"]
    assert orjson.loads(body) == orjson.loads(msgspec.json.encode(expected))


def test_a_read_with_the_current_etag_in_if_none_match_answers_304(client, world):
    viewer = world.auth("viewer")
    read = client.get("/api/v1/products/EL-1", headers=viewer)
    tag = read.headers["etag"]

    for header in (tag, f'W/{tag}', f'"999", {tag}', "*"):
        unchanged = client.get("/api/v1/products/EL-1",
                               headers={**viewer, "If-None-Match": header})
        assert unchanged.status_code == 304, header
        assert unchanged.content == b"" and unchanged.headers["etag"] == tag

    stale = client.get("/api/v1/products/EL-1", headers={**viewer, "If-None-Match": '"999"'})
    assert stale.status_code == 200 and stale.json() == read.json()

    client.patch("/api/v1/products/EL-1", headers=world.auth("editor"),
                 json={"enabled": False})
    changed = client.get("/api/v1/products/EL-1", headers={**viewer, "If-None-Match": tag})
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    assert changed.headers["etag"] != tag


def test_an_api_answer_says_its_server_time(client, world):
    read = client.get("/api/v1/products/EL-1", headers=world.auth("viewer"))
    assert read.status_code == 200
    duration = re.fullmatch(r"app;dur=(\d+\.\d)(, queue;dur=\d+\.\d)?",
                            read.headers.get("server-timing", ""))
    assert duration and float(duration.group(1)) > 0, read.headers
