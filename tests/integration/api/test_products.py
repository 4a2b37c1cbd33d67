"""Products over HTTP: reads, merge PATCH, ETags, bulk NDJSON, pagination, problems."""

from __future__ import annotations

import json

from pim.db import session_factory, session_scope
from pim.search import index_pending
from tests.factories import electronics, one, write

PROBLEM = "application/problem+json"


def test_get_product_carries_its_version_as_etag(client, world):
    response = client.get("/api/v1/products/EL-1", headers=world.auth("viewer"))
    assert response.status_code == 200
    assert response.headers["etag"] == f'"{response.json()["version"]}"'
    assert response.json()["values"]["brand"][0]["data"] == "Voltia"


def test_patch_merges_values_and_null_clears_one(client, world):
    body = {"values": {"name": [{"locale": "en_GB", "scope": None, "data": "Voltia mini"}],
                       "ean": [{"locale": None, "scope": None, "data": None}]}}
    response = client.patch("/api/v1/products/EL-1", json=body, headers=world.auth("editor"))
    assert response.status_code == 200, response.text
    values = response.json()["values"]
    assert values["name"][0]["data"] == "Voltia mini"
    assert "ean" not in values
    assert values["brand"][0]["data"] == "Voltia"  # absent from the body: untouched
    assert response.json()["version"] == 2


def test_patch_with_stale_if_match_is_412_problem(client, world):
    editor = world.auth("editor")
    etag = client.get("/api/v1/products/EL-1", headers=editor).headers["etag"]
    first = client.patch("/api/v1/products/EL-1", json={"enabled": False},
                         headers={**editor, "If-Match": etag})
    assert first.status_code == 200
    stale = client.patch("/api/v1/products/EL-1", json={"enabled": True},
                         headers={**editor, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith(PROBLEM)
    assert stale.json()["status"] == 412
    assert stale.headers["etag"] == first.headers["etag"]


def test_if_match_is_compared_strongly_and_every_tag_is_read(client, world):
    editor = world.auth("editor")
    etag = client.get("/api/v1/products/EL-1", headers=editor).headers["etag"]
    weak = client.patch("/api/v1/products/EL-1", json={"enabled": False},
                        headers={**editor, "If-Match": f"W/{etag}"})
    assert weak.status_code == 412
    assert "a weak tag never matches a write" in weak.json()["detail"]
    listed = client.patch("/api/v1/products/EL-1", json={"enabled": False},
                          headers={**editor, "If-Match": f'"41", {etag}, "42"'})
    assert listed.status_code == 200, listed.text
    star = client.post("/api/v1/products/EL-1/disable", headers={**editor, "If-Match": "*"})
    assert star.status_code == 200


def test_if_match_with_an_out_of_range_number_is_412_naming_it(client, world):
    editor = world.auth("editor")
    response = client.patch("/api/v1/products/EL-1", json={"enabled": False},
                            headers={**editor, "If-Match": '"99999999999999999999"'})
    assert response.status_code == 412
    assert response.json()["detail"].startswith(
        "EL-1: version 99999999999999999999 is stale (current version is 1)")
    assert response.headers["etag"] == '"1"'


def test_if_match_on_a_missing_product_is_404_not_412(client, world):
    response = client.patch("/api/v1/products/NOPE", json={"enabled": False},
                            headers={**world.auth("editor"), "If-Match": 'W/"1"'})
    assert response.status_code == 404


def test_invalid_value_is_422_with_field_path(client, world):
    body = {"values": {"brand": [{"locale": None, "scope": None, "data": "ok"}],
                       "ean": [{"locale": None, "scope": None, "data": "5012345678901"}]}}
    response = client.patch("/api/v1/products/EL-2", json=body, headers=world.auth("editor"))
    assert response.status_code == 422
    problem = response.json()
    assert {"type", "title", "status", "detail", "instance", "errors"} <= problem.keys()
    assert problem["instance"] == "/api/v1/products/EL-2"
    assert [e["field"] for e in problem["errors"]] == ["values.ean[0].data"]


def test_malformed_body_is_400_problem_with_field_path(client, world):
    body = {"values": {"name": [{"locale": "en_GB", "data": "x", "colour": 1}]}}
    response = client.patch("/api/v1/products/EL-1", json=body, headers=world.auth("editor"))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)
    assert any(e["field"] and e["field"].startswith("values.name[0]")
               for e in response.json()["errors"])


def test_unknown_product_and_route_are_404_problems(client, world):
    for path in ("/api/v1/products/NOPE", "/api/v1/nothing-here"):
        response = client.get(path, headers=world.auth("viewer"))
        assert response.status_code == 404
        assert response.headers["content-type"].startswith(PROBLEM)


def test_create_then_create_again_conflicts(client, world):
    body = {"sku": "NEW-1", "family": "electronics", "categories": ["audio"],
            "values": {"brand": [{"locale": None, "scope": None, "data": "Voltia"}]}}
    created = client.post("/api/v1/products", json=body, headers=world.auth("editor"))
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    again = client.post("/api/v1/products", json=body, headers=world.auth("editor"))
    assert again.status_code == 409


def test_bulk_ndjson_answers_one_line_per_input_line_in_order(client, world):
    lines = [
        json.dumps({"sku": "BULK-1", "family": "electronics",
                    "values": {"brand": [{"locale": None, "scope": None, "data": "A"}]}}),
        "{not json",
        json.dumps({"sku": "BULK-2", "family": "electronics",
                    "values": {"ean": [{"locale": None, "scope": None, "data": "123"}]}}),
        json.dumps({"sku": "EL-1", "values": {"brand": [{"locale": None, "scope": None,
                                                          "data": "Voltia"}]}}),
        json.dumps({"sku": "EL-2", "enabled": False}),
        json.dumps({"family": "electronics"}),
    ]
    response = client.patch("/api/v1/products", content="\n".join(lines) + "\n",
                            headers={**world.auth("editor"),
                                     "Content-Type": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    out = [json.loads(line) for line in response.text.splitlines()]
    assert [o["line"] for o in out] == [1, 2, 3, 4, 5, 6]
    assert [o["status"] for o in out] == ["created", "refused", "refused", "unchanged",
                                          "updated", "refused"]
    assert out[2]["errors"][0]["field"] == "values.ean[0].data"
    assert out[5]["errors"][0]["field"] == "sku"
    assert client.get("/api/v1/products/BULK-1", headers=world.auth("viewer")).status_code == 200


def test_bulk_needs_ndjson_content_type(client, world):
    response = client.patch("/api/v1/products", content="{}",
                            headers={**world.auth("editor"), "Content-Type": "text/plain"})
    assert response.status_code == 415


def test_pagination_neither_skips_nor_repeats_under_concurrent_inserts(client, world):
    viewer = world.auth("viewer")
    with session_scope() as session:
        write(session, *[electronics(f"P-{n:03d}") for n in range(20)])
    seen, cursor, inserted = [], None, 0
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/products", params=params, headers=viewer).json()
        seen += [p["sku"] for p in page["items"]]
        if inserted < 3:  # someone inserts between our page fetches
            with session_scope() as session:
                write(session, electronics(f"LATE-{inserted}"))
            inserted += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert set(seen) == {f"EL-{n}" for n in (1, 2, 3)} | {f"P-{n:03d}" for n in range(20)} | {
        "LATE-0", "LATE-1", "LATE-2"}


def test_list_filters_by_category_with_descendants_and_search(client, world):
    viewer = world.auth("viewer")
    with session_scope() as session:
        write(session, electronics("Q-1", name=one("Quasar headphones", "en_GB")))
    index_pending(session_factory())  # what the search.index job does after the commit
    found = client.get("/api/v1/products", params={"q": "quasar"}, headers=viewer).json()
    assert [p["sku"] for p in found["items"]] == ["Q-1"]
    found = client.get("/api/v1/products", params={"search": "quas"}, headers=viewer).json()
    assert [p["sku"] for p in found["items"]] == ["Q-1"]
    disabled = client.get("/api/v1/products", params={"enabled": "false"}, headers=viewer)
    assert disabled.json()["items"] == []
    bad = client.get("/api/v1/products", params={"cursor": "garbage"}, headers=viewer)
    assert bad.status_code == 400


def test_a_multiselect_sent_again_in_another_order_is_no_change(client, world):
    editor = world.auth("editor")

    def patch(features):
        body = {"values": {"features": [{"locale": None, "scope": None, "data": features}]}}
        response = client.patch("/api/v1/products/EL-1", json=body, headers=editor)
        assert response.status_code == 200, response.text
        return response.json()

    changed = patch(["wifi", "bluetooth"])
    assert changed["values"]["features"][0]["data"] == ["bluetooth", "wifi"]  # option order
    reordered = patch(["bluetooth", "wifi"])
    assert reordered["version"] == changed["version"]
    history = client.get("/api/v1/products/EL-1/history", headers=editor).json()
    assert [h["version"] for h in history] == [1, changed["version"]]


def test_history_and_restore(client, world):
    editor = world.auth("editor")
    client.patch("/api/v1/products/EL-1", json={"enabled": False}, headers=editor)
    history = client.get("/api/v1/products/EL-1/history", headers=editor).json()
    assert [h["version"] for h in history] == [1, 2]
    # The creation's diff is served from its state: every field it set, from nothing.
    created = {change["field"]: change for change in history[0]["diff"]}
    assert created["values.name-en_GB"]["old"] is None and created["values.name-en_GB"]["new"]
    assert history[1]["diff"] == [{"field": "enabled", "old": True, "new": False}]
    stale = client.post("/api/v1/products/EL-1/restore", json={"version": 1},
                        headers={**editor, "If-Match": '"1"'})
    assert stale.status_code == 412
    restored = client.post("/api/v1/products/EL-1/restore", json={"version": 1},
                           headers={**editor, "If-Match": '"2"'})
    assert restored.status_code == 200, restored.text
    assert restored.json()["enabled"] is True and restored.json()["version"] == 3


def test_disable_product(client, world):
    response = client.post("/api/v1/products/EL-3/disable", headers=world.auth("editor"))
    assert response.status_code == 200 and response.json()["enabled"] is False
