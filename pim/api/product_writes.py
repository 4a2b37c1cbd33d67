"""The API's product writes: body -> record -> ``write_products`` -> one answer.

Single writes refuse as problems (422 with field paths, 412 stale, 404, 409); the bulk
upsert answers one status line per input line and never lets a bad line block the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.api.problems import field_path, refused_errors
from pim.auth.actor import Actor
from pim.catalog.models import Product
from pim.catalog.products import CatalogCache, WriteResult, write_products
from pim.catalog.read import get_product
from pim.catalog.schemas import AssociationIn, ProductIn
from pim.db import session_scope
from pim.errors import Conflict, Invalid, NotFound, StaleVersion
from pim.records import AssociationLink, ProductRecord

SOURCE = "api"
BULK_BATCH = 500


def to_record(sku: str, body: BaseModel) -> ProductRecord:
    associations = None
    if body.associations is not None:
        associations = {t: [AssociationLink(a.sku, a.quantity) for a in links]
                        for t, links in body.associations.items()}
    return ProductRecord(
        sku=sku, family=body.family, parent=body.parent, categories=body.categories,
        enabled=body.enabled,
        values={code: [v.model_dump() for v in entries] for code, entries in body.values.items()},
        associations=associations,
    )


def _raise_refused(result: WriteResult, values: dict[str, Any], expected: int | None) -> None:
    if any(e.get("field") == "version" for e in result.errors):
        raise StaleVersion(result.sku, expected or 0, result.version or 0)
    errors = refused_errors(result.errors, values)
    detail = "; ".join(f"{e.get('field')}: {e['message']}" for e in errors)
    raise Invalid(f"{result.sku} refused: {detail}", errors=errors)


def _body_values(body: BaseModel) -> dict[str, Any]:
    return {code: [v.model_dump() for v in entries] for code, entries in body.values.items()}


def create_product(session: Session, body: ProductIn, actor: Actor) -> dict[str, Any]:
    [result] = write_products(session, [to_record(body.sku, body)], actor=actor.name,
                              source=SOURCE, expected_versions={body.sku: 0})
    if not result.ok:
        if any(e.get("field") == "version" for e in result.errors):
            raise Conflict(f"product {body.sku!r} already exists; PATCH it instead")
        _raise_refused(result, _body_values(body), None)
    return get_product(session, body.sku)


def current_version(session: Session, sku: str) -> int:
    version = session.scalar(select(Product.version).where(Product.sku == sku))
    if version is None:
        raise NotFound(f"product {sku!r} does not exist")
    return version


def patch_product(session: Session, sku: str, body: BaseModel, actor: Actor,
                  expected: int | None) -> dict[str, Any]:
    """Merge ``body`` into the product; ``expected`` is the If-Match version (or None)."""
    if getattr(body, "sku", None) not in (None, sku):
        raise Invalid("the SKU of a product cannot change",
                      errors=[{"field": "sku", "message": f"must be {sku!r}"}])
    current = current_version(session, sku)
    [result] = write_products(session, [to_record(sku, body)], actor=actor.name, source=SOURCE,
                              expected_versions={sku: expected if expected is not None
                                                 else current})
    if not result.ok:
        _raise_refused(result, _body_values(body), expected)
    return get_product(session, sku)


class BulkLine(ProductIn):
    """One NDJSON line: a product, optionally with the version it was read at."""

    model_config = ConfigDict(extra="forbid")
    version: int | None = None


def _parse_line(number: int, text: str) -> tuple[ProductRecord | None, dict[str, Any] | None]:
    try:
        data = json.loads(text)
    except ValueError as error:
        return None, {"line": number, "sku": None, "status": "refused", "version": None,
                      "errors": [{"field": None, "message": f"invalid JSON: {error}"}]}
    sku = data.get("sku") if isinstance(data, dict) else None
    try:
        body = BulkLine.model_validate(data)
    except ValidationError as error:
        errors = [{"field": field_path(e["loc"]), "message": e["msg"]} for e in error.errors()]
        return None, {"line": number, "sku": sku if isinstance(sku, str) else None,
                      "status": "refused", "version": None, "errors": errors}
    record = to_record(body.sku, body)
    record.version = body.version
    record.row = number
    return record, None


def _status(number: int, result: WriteResult, values: dict[str, Any]) -> dict[str, Any]:
    return {"line": number, "sku": result.sku, "status": result.status,
            "version": result.version, "errors": refused_errors(result.errors, values)}


def write_bulk_batch(lines: list[tuple[int, str]], actor: Actor) -> list[dict[str, Any]]:
    """Write one batch of NDJSON lines in one transaction; one status per line, in order."""
    statuses: dict[int, dict[str, Any]] = {}
    records: list[ProductRecord] = []
    for number, text in lines:
        record, refused = _parse_line(number, text)
        if refused is not None:
            statuses[number] = refused
        else:
            records.append(record)
    if records:
        try:
            with session_scope() as session:
                results = write_products(session, records, actor=actor.name, source=SOURCE,
                                         cache=CatalogCache(session))
        except Exception:  # a database refusal (say, a unique value): retry line by line
            results = [_write_alone(record, actor) for record in records]
        for record, result in zip(records, results, strict=True):
            statuses[record.row] = _status(record.row, result, record.values)
    return [statuses[number] for number, _ in lines]


def _write_alone(record: ProductRecord, actor: Actor) -> WriteResult:
    try:
        with session_scope() as session:
            [result] = write_products(session, [record], actor=actor.name, source=SOURCE)
        return result
    except Exception as error:
        message = str(getattr(error, "orig", error)).splitlines()[0][:300]
        return WriteResult(sku=record.sku, status="refused",
                           errors=[{"field": None, "message": f"not stored: {message}"}])


def numbered_lines(chunks: Iterable[bytes]) -> Iterable[tuple[int, str]]:
    """Split a byte stream into (1-based line number, text) of its non-empty lines."""
    buffer = b""
    number = 0
    for chunk in chunks:
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            number += 1
            if raw.strip():
                yield number, raw.decode("utf-8", errors="replace")
    if buffer.strip():
        yield number + 1, buffer.decode("utf-8", errors="replace")


def association_body(associations: dict[str, list[AssociationIn]]) -> dict[str, Any]:
    return {t: [a.model_dump() for a in links] for t, links in associations.items()}
