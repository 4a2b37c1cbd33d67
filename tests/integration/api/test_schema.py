"""The OpenAPI document at /schema is complete and the API keeps to it: schemathesis
generates requests for every operation (bounded, derandomized) with a real admin token and
finds no server error and no response that breaks the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)


@schemathesis.serializer("application/x-ndjson")
def ndjson_body(ctx, value) -> bytes:
    """The bulk body is documented as a string of NDJSON lines: send it as it is."""
    return value if isinstance(value, bytes) else str(value).encode()


CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance,
          status_code_conformance]


@pytest.mark.slow
def test_the_api_keeps_to_its_schema(world, monkeypatch):
    from pim.app import create_app
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_API_RATE_LIMIT", "0")  # 0 switches the limit off
    reset_settings()
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(start_jobs=False))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40
    failures = []
    for operation in operations:
        try:
            check_operation(operation, {} if operation.path.startswith("/feeds")
                            else world.auth("admin"))
        except Exception as error:  # report every operation's failure, not only the first
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
    assert not failures, "\n\n".join(failures)


def check_operation(operation, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=8, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def keeps_to_schema(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    keeps_to_schema()


def test_the_schema_documents_problems_and_bearer_auth(client):
    document = client.get("/schema/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    get_product = document["paths"]["/api/v1/products/{sku}"]["get"]
    assert "application/problem+json" in get_product["responses"]["404"]["content"]
    assert get_product["security"] == [{"bearerAuth": []}]


# Rules between fields of a channel definition that a JSON Schema cannot say; the API refuses
# them (400, naming the rule) and the definition's descriptions say them.
CROSS_FIELD_RULES = ("not a channel locale", "cannot fall back to itself",
                     "is not declared")


@pytest.mark.slow
def test_bodies_the_document_allows_pass_the_apis_body_validation(world, monkeypatch):
    """Every JSON body schemathesis generates from the document gets past the API's own
    validation of its shape (never a 400 but for a rule between fields, never a 5xx): the
    document is not looser than the models. What the catalog then refuses (an unknown
    family, a parent that does not exist: a 404, 409 or 422 naming it) depends on the data,
    which no schema can say."""
    from collections import Counter

    from pim.app import create_app
    from pim.config import reset_settings

    monkeypatch.setenv("PIM_API_RATE_LIMIT", "0")
    reset_settings()
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(start_jobs=False))
    tally: dict[str, Counter] = {}
    refusals: dict[str, str] = {}  # an operation's first refusal: its body and the answer
    for result in schema.get_all_operations():
        operation = result.ok()
        body = operation.definition.raw.get("requestBody", {}).get("content", {})
        if "application/json" not in body:
            continue
        name = f"{operation.method.upper()} {operation.path}"
        send_bodies(operation, world.auth("admin"), tally.setdefault(name, Counter()),
                    lambda text, name=name: refusals.setdefault(name, text))
    assert len(tally) >= 20
    assert not refusals, refusals


def send_bodies(operation, headers, statuses, refused) -> None:
    @given(case=operation.as_strategy(media_type="application/json"))
    @settings(max_examples=10, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def send(case):
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        cross_field = any(rule in response.text for rule in CROSS_FIELD_RULES)
        if (response.status_code == 400 and not cross_field) or response.status_code >= 500:
            refused(f"{case.body!r} -> {response.text[:300]}")

    send()
