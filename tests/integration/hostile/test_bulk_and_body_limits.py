"""Hostile bodies (issue #18 items 1 and 3, issue #14 defect 6): the NDJSON bulk upsert reads
its body in linear time off the event loop, refuses an overlong or undecodable line on its
own status line, and every route kind has a body limit answered 413 before reading."""

from __future__ import annotations

import json

import pytest

from pim.api.ndjson import NdjsonLines

NDJSON = {"Content-Type": "application/x-ndjson"}


def bulk(client, world, body: bytes | str):
    return client.patch("/api/v1/products", content=body,
                        headers={**world.auth("editor"), **NDJSON})


def product_line(sku: str, brand: str = "Bulk") -> str:
    return json.dumps({"sku": sku, "family": "electronics",
                       "values": {"brand": [{"locale": None, "scope": None, "data": brand}]}})


def statuses(response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines()]


def test_a_deeply_nested_line_is_refused_on_its_own_and_the_others_are_written(client, world):
    deep = '{"sku": "DEEP-1", "values": {"brand": [{"data": ' + "[" * 5000 + "]" * 5000 + "}]}}"
    shallow_but_deep = json.dumps({"sku": "DEEP-2", "family": "electronics", "values": {
        "brand": [{"locale": None, "scope": None, "data": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[
            []]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}})
    body = "\n".join([product_line("NEST-1"), deep, shallow_but_deep, product_line("NEST-2")])

    response = bulk(client, world, body)

    assert response.status_code == 200
    out = statuses(response)
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert [o["status"] for o in out] == ["created", "refused", "refused", "created"]
    assert "nested more than" in out[1]["errors"][0]["message"]
    assert out[2]["sku"] == "DEEP-2" and "nested more than" in out[2]["errors"][0]["message"]
    for sku in ("NEST-1", "NEST-2"):
        assert client.get(f"/api/v1/products/{sku}", headers=world.auth("viewer")).status_code == 200


def test_an_overlong_line_gets_a_refused_status_and_the_next_lines_are_read(client, world):
    overlong = '{"sku": "LONG", "x": "' + "a" * (1024 * 1024 + 10) + '"}'
    body = "\n".join([product_line("BEFORE-LONG"), overlong, product_line("AFTER-LONG")])

    out = statuses(bulk(client, world, body))

    assert [(o["line"], o["status"]) for o in out] == [
        (1, "created"), (2, "refused"), (3, "created")]
    assert "longer than 1,048,576 bytes" in out[1]["errors"][0]["message"]


def test_a_body_without_newlines_is_one_refused_line(client, world):
    out = statuses(bulk(client, world, b"x" * (5 * 1024 * 1024)))

    assert len(out) == 1 and out[0]["status"] == "refused" and out[0]["line"] == 1


def test_invalid_utf8_is_refused_on_its_line(client, world):
    body = product_line("UTF-1").encode() + b"\n" + b'{"sku": "\xff\xfe"}\n' + \
        product_line("UTF-2").encode()

    out = statuses(bulk(client, world, body))

    assert [o["status"] for o in out] == ["created", "refused", "created"]
    assert "not UTF-8" in out[1]["errors"][0]["message"]


def test_blank_lines_keep_their_numbers_and_give_no_status(client, world):
    body = "\n\n" + product_line("BLANK-1") + "\n   \n" + product_line("BLANK-2") + "\n\n"

    out = statuses(bulk(client, world, body))

    assert [(o["line"], o["status"]) for o in out] == [(3, "created"), (5, "created")]


def test_bulk_body_above_its_limit_is_413_before_reading(client, world, monkeypatch):
    monkeypatch.setenv("PIM_API_MAX_BULK_BYTES", "1000")
    _fresh_limits()

    response = bulk(client, world, "\n".join(product_line(f"BIG-{n}") for n in range(20)))

    assert response.status_code == 413
    assert "PIM_API_MAX_BULK_BYTES" in response.json()["detail"]
    assert client.get("/api/v1/products/BIG-0", headers=world.auth("viewer")).status_code == 404


def test_a_json_body_above_its_limit_is_413_naming_the_setting(client, world):
    body = b'{"sku": "' + b"x" * (4 * 1024 * 1024) + b'"}'

    response = client.post("/api/v1/products", content=body, headers={
        **world.auth("editor"), "Content-Type": "application/json"})

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "PIM_API_MAX_BODY_BYTES" in response.json()["detail"]


def test_a_chunked_json_body_is_cut_off_at_the_limit(client, world, monkeypatch):
    monkeypatch.setenv("PIM_API_MAX_BODY_BYTES", "2000")
    _fresh_limits()

    def chunks():
        for _ in range(100):
            yield b" " * 1000

    response = client.post("/api/v1/products", content=chunks(), headers={
        **world.auth("editor"), "Content-Type": "application/json"})

    assert response.status_code == 413


def test_a_json_body_announced_too_large_is_refused_unauthenticated_too(client, world):
    response = client.post("/api/v1/products", content=b"{}", headers={
        "Content-Type": "application/json", "Content-Length": str(200 * 1024 * 1024)})

    assert response.status_code == 413


def _fresh_limits():
    from pim.api.limits import reset_body_limits
    from pim.config import reset_settings

    reset_settings()
    reset_body_limits()


@pytest.fixture(autouse=True)
def _limits_back():
    yield
    _fresh_limits()


# -- the line reader itself (pure) ------------------------------------------------------------


def test_line_reader_is_linear_on_a_body_without_newlines():
    import io

    lines = NdjsonLines(io.BytesIO(b"a" * (50 * 1024 * 1024)), max_line_bytes=1024)
    batch = lines.read(10)

    assert len(batch) == 1 and batch[0].text is None and lines.read(10) == []


def test_line_reader_keeps_a_line_of_exactly_the_limit():
    import io

    lines = NdjsonLines(io.BytesIO(b"a" * 8 + b"\n" + b"b" * 9 + b"\nc"), max_line_bytes=8)

    assert [(line.number, line.text is not None) for line in lines.read(10)] == [
        (1, True), (2, False), (3, True)]
