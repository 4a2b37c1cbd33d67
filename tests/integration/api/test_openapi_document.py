"""The OpenAPI document says what the API does: it passes a third-party validator, every
operation has a stable readable operationId, request bodies carry the constraints the API
validates with, and the untyped answers (feeds, channels, associations) are typed."""

from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from exporters import FORMATS


@pytest.fixture
def document(client) -> dict:
    return client.get("/schema/openapi.json").json()


def operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield method.upper(), path, operation


def validator_for(document: dict, component: str):
    """A JSON Schema validator of one component, resolving refs inside the document."""
    schema = {"$ref": f"#/components/schemas/{component}",
              "components": document["components"]}
    return jsonschema.Draft202012Validator(schema)


def test_the_document_passes_openapi_spec_validator(document):
    errors = [f"{list(e.absolute_path)}: {e.message}"
              for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def test_every_operation_has_a_unique_snake_case_operation_id(document):
    ids = [op.get("operationId") for _, _, op in operations(document)]
    assert all(isinstance(i, str) and re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids
    assert len(ids) == len(set(ids))


def test_operation_ids_are_the_names_clients_are_generated_with(document):
    ids = {(method, path): op["operationId"] for method, path, op in operations(document)}
    assert {ids[("GET", "/api/v1/products")], ids[("PATCH", "/api/v1/products/{sku}")],
            ids[("PATCH", "/api/v1/products")], ids[("GET", "/api/v1/family-variants/{code}")],
            ids[("POST", "/api/v1/workflow/{channel}/approve")],
            ids[("GET", "/feeds/{channel}/{format}")]} == {
        "list_products", "patch_product", "bulk_upsert_products", "get_family_variant",
        "approve_products", "get_feed"}


def test_channel_decimals_are_numbers_or_decimal_text_as_answered(document, client, world):
    conflicts = document["components"]["schemas"]["ConflictSettings"]
    tolerance = conflicts["properties"]["price_tolerance_percent"]
    assert {branch["type"] for branch in tolerance["anyOf"]} == {"number", "string"}
    answered = client.get("/api/v1/channels/webshop-uk", headers=world.auth("viewer")).json()
    assert answered["conflicts"]["price_tolerance_percent"] == "5"
    validator_for(document, "ChannelDefinition").validate(answered)


def test_channel_reads_and_writes_are_typed_as_the_definition(document):
    item = document["paths"]["/api/v1/channels/{code}"]
    ref = {"$ref": "#/components/schemas/ChannelDefinition"}
    assert item["get"]["responses"]["200"]["content"]["application/json"]["schema"] == ref
    assert item["put"]["responses"]["200"]["content"]["application/json"]["schema"] == ref
    assert item["put"]["requestBody"]["content"]["application/json"]["schema"] == ref
    listed = document["paths"]["/api/v1/channels"]["get"]["responses"]["200"]
    assert listed["content"]["application/json"]["schema"]["items"] == ref


def test_every_shipped_channel_validates_against_the_documented_definition(document, client,
                                                                          world):
    channels = client.get("/api/v1/channels", headers=world.auth("viewer")).json()
    assert len(channels) >= 6
    validator = validator_for(document, "ChannelDefinition")
    for channel in channels:
        validator.validate(channel)


def test_associations_are_typed(document, client, world):
    answer = document["paths"]["/api/v1/products/{sku}/associations"]["get"]["responses"]["200"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema["additionalProperties"]["items"] == {
        "$ref": "#/components/schemas/AssociationOut"}
    out = document["components"]["schemas"]["AssociationOut"]
    assert set(out["properties"]) == {"sku", "quantity"}
    product = document["components"]["schemas"]["ProductOut"]["properties"]
    assert product["associations"]["additionalProperties"]["items"] == {
        "$ref": "#/components/schemas/AssociationOut"}


def test_the_feed_documents_each_formats_media_type_and_its_validators(document):
    feed = document["paths"]["/feeds/{channel}/{format}"]["get"]
    format_parameter = next(p for p in feed["parameters"] if p["name"] == "format")
    assert format_parameter["schema"]["enum"] == list(FORMATS)
    ok = feed["responses"]["200"]
    assert set(ok["content"]) == {fmt.media_type for fmt in FORMATS.values()}
    assert "application/json" not in ok["content"]
    assert {"ETag", "Last-Modified", "Content-Encoding"} <= set(ok["headers"])
    assert {"ETag", "Last-Modified"} <= set(feed["responses"]["304"]["headers"])
    headers = {p["name"] for p in feed["parameters"] if p["in"] == "header"}
    assert {"If-None-Match", "If-Modified-Since"} <= headers
    assert feed["security"] == [{"feedKey": []}]


def test_request_bodies_carry_the_constraints_the_api_validates(document):
    schemas = document["components"]["schemas"]
    assert schemas["ProductIn"]["additionalProperties"] is False
    publish = schemas["PublishIn"]["properties"]["skus"]["anyOf"]
    sku = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"}
    assert {"type": "array", "items": sku, "maxItems": 1000} in publish
    channel = schemas["ChannelDefinition"]["properties"]
    assert channel["code"]["pattern"] == "^[a-z][a-z0-9_-]*$"
    assert channel["currency"]["pattern"] == "^[A-Z]{3}$"


def test_structure_bodies_document_the_model_the_service_validates_with(document, client,
                                                                        world):
    put = document["paths"]["/api/v1/attributes/{code}"]["put"]
    ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "code" not in body.get("required", [])
    assert body["properties"]["type"]["enum"][:3] == ["text", "textarea", "number"]
    validator = validator_for(document, ref.rsplit("/", 1)[1])
    # What the document accepts the API accepts, and what it refuses the API refuses too.
    good = {"type": "text", "localizable": True, "labels": {"en_GB": "Care notes"}}
    validator.validate(good)
    answer = client.put("/api/v1/attributes/care_notes", json=good,
                        headers=world.auth("admin"))
    assert answer.status_code == 201, answer.text
    bad = {"type": "colour"}
    assert not validator.is_valid(bad)
    refused = client.put("/api/v1/attributes/care_notes", json=bad,
                         headers=world.auth("admin"))
    assert refused.status_code == 422
