"""Edits by people and API clients: a body in, ``write_products`` (or
``write_product_models``), one answer out.

Single writes refuse with a ``DomainError`` whose ``errors`` point at the body
(``values.name[0].data``): 422 with field paths in the API, a highlighted field in the UI;
412 (stale version), 404 and 409 likewise. The bulk upsert answers one status per input line
and never lets a bad line block the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pim.auth.actor import Actor
from pim.catalog.models import Product, ProductModel
from pim.catalog.product_models import write_product_models
from pim.catalog.products import CatalogCache, WriteResult, write_products
from pim.catalog.read import get_product, get_product_model
from pim.catalog.refusals import refused_errors
from pim.catalog.schemas import AssociationIn, BulkLine, ProductIn, ProductModelIn, ProductPatch
from pim.catalog.versions import VersionCondition
from pim.db import lost_a_race, session_scope
from pim.errors import Conflict, Invalid, NotFound, StaleVersion, field_path
from pim.records import AssociationLink, ProductRecord

BULK_BATCH = 500  # bulk lines written per transaction
T = TypeVar("T")
log = logging.getLogger("pim.catalog")


def to_record(sku: str, body: ProductIn | ProductPatch) -> ProductRecord:
    associations = None
    if body.associations is not None:
        associations = {t: [AssociationLink(a.sku, a.quantity) for a in links]
                        for t, links in body.associations.items()}
    return ProductRecord(
        sku=sku, family=body.family, parent=body.parent, categories=body.categories,
        enabled=body.enabled, values=_body_values(body), associations=associations,
    )


def _raise_refused(result: WriteResult, values: dict[str, Any], expected: int) -> None:
    if any(e.get("field") == "version" for e in result.errors):
        raise StaleVersion(result.sku, expected, result.version or 0)
    errors = refused_errors(result.errors, values)
    detail = "; ".join(f"{e.get('field')}: {e['message']}" for e in errors)
    raise Invalid(f"{result.sku} refused: {detail}", errors=errors)


def _body_values(body: BaseModel) -> dict[str, Any]:
    return {code: [v.model_dump() for v in entries]
            for code, entries in body.values.items()}  # type: ignore[attr-defined]


def create_product(session: Session, body: ProductIn, actor: Actor, *,
                   source: str) -> dict[str, Any]:
    """Create the product (Conflict when the SKU exists); the product as stored."""
    record = to_record(body.sku, body)

    def write() -> WriteResult:
        [result] = write_products(session, [record], actor=actor.name, source=source,
                                  expected_versions={body.sku: 0})
        return result

    result = _write_racing(session, body.sku, write)
    if not result.ok:
        if any(e.get("field") == "version" for e in result.errors):
            raise Conflict(f"product {body.sku!r} already exists; PATCH it instead")
        _raise_refused(result, _body_values(body), 0)
    return get_product(session, body.sku)


def current_version(session: Session, sku: str, *, lock: bool = False,
                    entity: type[Product] | type[ProductModel] = Product) -> int:
    """The product's (or, with ``entity=ProductModel``, the model's) version; with
    ``lock``, the row stays locked (PostgreSQL) until the transaction ends, so the version
    read is the one a write replaces."""
    key = Product.sku if entity is Product else ProductModel.code
    query = select(entity.version).where(key == sku)
    version = session.scalar(query.with_for_update() if lock else query)
    if version is None:
        what = "product" if entity is Product else "product model"
        raise NotFound(f"{what} {sku!r} does not exist")
    return version


def patch_product(session: Session, sku: str, body: ProductPatch, actor: Actor,
                  condition: VersionCondition | None, *, source: str) -> dict[str, Any]:
    """Merge ``body`` into the product, only while its version meets ``condition`` (what the
    client read: If-Match) when one is given; without one, over whatever version is
    current. The product as stored.

    The version is read with the row locked, so the check and the write are one: a
    concurrent writer waits for this one, and then fails its own ``condition`` (412) or,
    having none, writes over this version. Nothing is lost and no writer fails on a race."""
    patch_product_version(session, sku, body, actor, condition, source=source)
    return get_product(session, sku)


def patch_product_version(session: Session, sku: str, body: ProductPatch, actor: Actor,
                          condition: VersionCondition | None, *, source: str) -> int:
    """``patch_product`` for a caller that reads the product afterwards, if at all (the
    editor draws its page once the write is committed): the version now current, without
    reading the product back while holding the write."""
    if body.sku not in (None, sku):
        raise Invalid("the SKU of a product cannot change",
                      errors=[{"field": "sku", "message": f"must be {sku!r}"}])
    record = to_record(sku, body)

    def write() -> tuple[WriteResult, int]:
        current = current_version(session, sku, lock=True)
        if condition is not None:
            condition.check(sku, current)
        [result] = write_products(session, [record], actor=actor.name, source=source,
                                  expected_versions={sku: current})
        return result, current

    result, current = _write_racing(session, sku, write)
    if not result.ok:
        _raise_refused(result, _body_values(body), current)
    return result.version if result.version is not None else current


WRITE_ATTEMPTS = 3  # a single write run again after losing a race to a concurrent one


def _write_racing(session: Session, sku: str, write: Callable[[], T]) -> T:
    """``write()`` in a savepoint, run again (reading afresh) when the database refuses it
    because of a concurrent write: a deadlock, or a key taken first (two creations of one
    SKU; a category deleted meanwhile). The row locks make this rare; a write that loses
    ``WRITE_ATTEMPTS`` times in a row is a Conflict (409), never a server error."""
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                return write()
        except DBAPIError as error:
            if not lost_a_race(error):
                raise
            log.info("write of %s lost a race (attempt %d): %s", sku, attempt,
                     type(getattr(error, "orig", error)).__name__)
    raise Conflict(f"product {sku!r} is being changed by other writers at the same moment; "
                   "try again")


def replace_associations(session: Session, sku: str,
                         associations: dict[str, list[AssociationIn]], actor: Actor,
                         condition: VersionCondition | None, *, source: str) -> dict[str, Any]:
    """Replace the links of the association types given (others untouched)."""
    body = ProductPatch.model_validate(
        {"associations": {t: [a.model_dump() for a in links]
                          for t, links in associations.items()}})
    return patch_product(session, sku, body, actor, condition, source=source)


def put_product_model(session: Session, code: str, body: ProductModelIn, actor: Actor, *,
                      source: str, condition: VersionCondition | None = None
                      ) -> dict[str, Any]:
    """Create or merge-update a product model; the model as stored. With ``condition``, only
    an existing model whose version meets it (StaleVersion otherwise): the version is read
    with the row locked, so, as in ``patch_product``, the check and the write are one."""
    record = to_record(code, ProductPatch(values=body.values, categories=body.categories,
                                          family=body.family, parent=body.parent))
    record.kind, record.family_variant = "product_model", body.family_variant
    if condition is not None:
        condition.check(code, current_version(session, code, lock=True, entity=ProductModel))
    [result] = write_product_models(session, [record], actor=actor.name, source=source)
    if not result.ok:
        errors = refused_errors(result.errors, record.values)
        raise Invalid(f"{code} refused: " + "; ".join(e["message"] for e in errors),
                      errors=errors)
    return get_product_model(session, code)


# -- the bulk upsert ------------------------------------------------------------------------


# A product body is a few levels deep (values -> attribute -> entry -> data -> price); a
# line nested deeper is refused before it is validated, stored or encoded again (orjson
# refuses more than 255 levels, Python's recursion ~1,000).
MAX_NESTING = 32


def refused_line(number: int, message: str, sku: str | None = None) -> dict[str, Any]:
    """The status of a bulk line refused as a whole, before it named a product."""
    return {"line": number, "sku": sku, "status": "refused", "version": None,
            "errors": [{"field": None, "message": message}]}


def nesting_exceeds(data: Any, limit: int = MAX_NESTING) -> bool:
    """Whether ``data`` (decoded JSON) holds lists or objects nested more than ``limit``
    levels deep. Iterative: any depth is measured without recursion."""
    stack = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False


def _parse_line(number: int, text: str) -> tuple[ProductRecord | None, dict[str, Any] | None]:
    try:
        data = json.loads(text)
    except ValueError as error:
        return None, refused_line(number, f"invalid JSON: {error}")
    except RecursionError:
        return None, refused_line(number, f"nested more than {MAX_NESTING} levels deep")
    sku = data.get("sku") if isinstance(data, dict) else None
    sku = sku if isinstance(sku, str) else None
    if nesting_exceeds(data):
        return None, refused_line(number, f"nested more than {MAX_NESTING} levels deep", sku)
    try:
        body = BulkLine.model_validate(data)
    except ValidationError as error:
        errors = [{"field": field_path(e["loc"]), "message": e["msg"]} for e in error.errors()]
        return None, {"line": number, "sku": sku, "status": "refused", "version": None,
                      "errors": errors}
    record = to_record(body.sku, body)
    record.version = body.version
    record.row = number
    return record, None


def _status(number: int, result: WriteResult, values: dict[str, Any]) -> dict[str, Any]:
    return {"line": number, "sku": result.sku, "status": result.status,
            "version": result.version, "errors": refused_errors(result.errors, values)}


def write_bulk_lines(lines: list[tuple[int, str]], actor: Actor, *,
                     source: str) -> list[dict[str, Any]]:
    """Write one batch of (line number, JSON text) products in one transaction of its own;
    one status per line, in order. A batch the database refuses as a whole (say, a unique
    value) is written again line by line, each in its own transaction."""
    statuses: dict[int, dict[str, Any]] = {}
    records: list[ProductRecord] = []
    for number, text in lines:
        record, refused = _parse_line(number, text)
        if refused is not None:
            statuses[number] = refused
        elif record is not None:
            records.append(record)
    if records:
        try:
            with session_scope() as session:
                results = write_products(session, records, actor=actor.name, source=source,
                                         cache=CatalogCache(session))
        except Exception:  # a database refusal: retry line by line
            results = [_write_alone(record, actor, source) for record in records]
        for record, result in zip(records, results, strict=True):
            statuses[record.row or 0] = _status(record.row or 0, result, record.values)
    return [statuses[number] for number, _ in lines]


def _write_alone(record: ProductRecord, actor: Actor, source: str) -> WriteResult:
    try:
        with session_scope() as session:
            [result] = write_products(session, [record], actor=actor.name, source=source)
        return result
    except Exception as error:
        message = str(getattr(error, "orig", error)).splitlines()[0][:300]
        return WriteResult(sku=record.sku, status="refused",
                           errors=[{"field": None, "message": f"not stored: {message}"}])
