"""Attribute regexes (issue #18 item 6): matched by RE2 in linear time, and a pattern RE2
cannot compile is refused when the attribute is saved, by the API and by a structure import."""

from __future__ import annotations

import pytest

from pim.catalog.values import compile_pattern


def put_attribute(client, world, regex: str):
    return client.put("/api/v1/attributes/serial", json={
        "type": "text", "validation": {"regex": regex}}, headers=world.auth("admin"))


def test_a_catastrophic_pattern_answers_at_once(client, world):
    assert put_attribute(client, world, "(a+)+$").status_code in (200, 201)
    client.put("/api/v1/families/electronics", json={"attributes": [
        *client.get("/api/v1/families/electronics",
                    headers=world.auth("viewer")).json()["attributes"], "serial"]},
        headers=world.auth("admin"))

    response = client.patch("/api/v1/products/EL-1", json={"values": {"serial": [
        {"locale": None, "scope": None, "data": "a" * 200 + "b"}]}},
        headers=world.auth("editor"))

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "values.serial[0].data"
    assert "does not match the pattern" in response.json()["detail"]


@pytest.mark.parametrize("regex", [r"(\w+)\1", r"(?=a)b", r"(?<!x)y", "[", "a{2,1}",
                                   "x" * 1001])
def test_a_pattern_re2_cannot_compile_is_refused_when_saved(client, world, regex):
    response = put_attribute(client, world, regex)

    assert response.status_code in (400, 422), response.text
    assert any("regex" in (error["field"] or "") for error in response.json()["errors"])
    assert client.get("/api/v1/attributes/serial", headers=world.auth("viewer")).status_code == 404


def test_a_structure_import_refuses_such_a_pattern_on_its_row(demo_structure):
    from pim.catalog.importing import apply_import
    from pim.db import session_factory
    from pim.records import StructureRecord

    report = apply_import(session_factory(demo_structure), [
        StructureRecord("attribute", "serial", {"type": "text",
                                                "validation": {"regex": "(?=a)b"}}, row=2),
        StructureRecord("attribute", "lot", {"type": "text",
                                             "validation": {"regex": "^[A-Z]+$"}}, row=3),
    ], source="import:test", actor="importer")

    assert report.structure_changed == 1 and report.error_count == 1
    assert report.errors[0]["row"] == 2 and "regular expression" in str(report.errors[0])


def test_re2_fullmatch_is_linear_on_a_backtracking_pattern():
    matcher = compile_pattern("(a+)+$")

    assert matcher("a" * 100_000 + "b") is None
    assert matcher("aaa") is not None
