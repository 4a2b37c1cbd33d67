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
