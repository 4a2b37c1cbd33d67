"""Reading products back out, as plain dicts (the shape of ProductOut)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import orjson
from sqlalchemy import Text, bindparam, cast, literal_column, null, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import CompoundSelect

from pim.catalog.models import Association, Category, Product, ProductCategory, ProductModel
from pim.catalog.product_models import model_state
from pim.db import get_engine, read_session, sqlite_reader
from pim.errors import NotFound


def get_product(session: Session, sku: str) -> dict[str, Any]:
    """One product inside ``session``'s transaction (what a write answers with); the same
    dict as a page's or ``fetch_product``'s."""
    rows = session.execute(select(*PRODUCT_COLUMNS).where(Product.sku == sku)).all()
    if not rows:
        raise NotFound(f"product {sku!r} does not exist")
    return products_out(session, rows)[0]


# Reading one product by SKU is the API's hottest path. On SQLite it is one statement on
# this thread's own connection (pim.db.sqlite_reader): one row, its categories and
# associations aggregated as JSON arrays in their order, and the stored values JSON passed
# into the response as it is (decoding and re-encoding 2 KB of values was a fifth of the
# request). Other databases read through get_product.
_SQLITE_PRODUCT = """
SELECT p.sku, p.family_code,
       (SELECT m.code FROM product_models AS m WHERE m.id = p.parent_id),
       p.enabled, p."values", p.version, p.created_at, p.updated_at,
       (SELECT json_group_array(code) FROM (
            SELECT c.code FROM product_categories AS pc
            JOIN categories AS c ON c.id = pc.category_id
            WHERE pc.product_id = p.id ORDER BY c.code)),
       (SELECT json_group_array(json_array(type_code, target, quantity)) FROM (
            SELECT a.type_code, a.target, a.quantity FROM associations AS a
            WHERE a.product_id = p.id ORDER BY a.type_code, a.target))
FROM products AS p WHERE p.sku = ?
"""


def fetch_product_json(sku: str, url: str | None = None) -> tuple[bytes, int]:
    """One product as ProductOut JSON (the document get_product's dict encodes to) and its
    version (the ETag)."""
    engine = get_engine(url)
    # (An in-memory SQLite database lives in its pool's one connection: no own reader.)
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        with read_session(url) as session:
            product = get_product(session, sku)
        return msgspec.json.encode(product), product["version"]
    row = sqlite_reader(engine).execute(_SQLITE_PRODUCT, (sku,)).fetchone()
    if row is None:
        raise NotFound(f"product {sku!r} does not exist")
    code, family, parent, enabled, values, version, created, updated, categories, links = row
    associations: dict[str, list[dict[str, Any]]] = {}
    for type_code, target, quantity in orjson.loads(links):
        associations.setdefault(type_code, []).append({"sku": target, "quantity": quantity})
    document = _out(code, family, parent, bool(enabled),
                    msgspec.Raw(values if values and values != "null" else "{}"),
                    version, _utc(created), _utc(updated), msgspec.Raw(categories),
                    associations)
    return msgspec.json.encode(document), version


def _utc(stored: str) -> datetime:
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _out(sku, family, parent, enabled, values, version, created, updated, categories,
         associations) -> dict[str, Any]:
    return {
        "sku": sku, "family": family, "parent": parent, "categories": categories,
        "enabled": enabled, "values": values or {}, "associations": associations,
        "version": version, "created_at": created, "updated_at": updated,
    }


# A page of products: select PRODUCT_COLUMNS (plus any filters), then products_out adds
# their categories and associations in one more statement.
PRODUCT_COLUMNS = (
    Product.id, Product.sku, Product.family_code,
    select(ProductModel.code).where(ProductModel.id == Product.parent_id)
    .scalar_subquery().label("parent"),
    Product.enabled, Product.values, Product.version, Product.created_at, Product.updated_at,
)
# A page for the API: the same, with the values as their stored JSON text, which goes into
# the response as it is (decoding and re-encoding them was most of a page's Python work).
PAGE_COLUMNS = tuple(cast(Product.values, Text).label("values") if column is Product.values
                     else column for column in PRODUCT_COLUMNS)
_IDS: BindParameter[list[int]] = bindparam("ids", expanding=True)
_PAGE_LINKS: CompoundSelect[*tuple[Any, ...]] = union_all(
    select(ProductCategory.product_id.label("product_id"), literal_column("'c'").label("kind"),
           Category.code.label("code"), null().label("target"), null().label("quantity"))
    .join(ProductCategory, ProductCategory.category_id == Category.id)
    .where(ProductCategory.product_id.in_(_IDS)),
    select(Association.product_id, literal_column("'a'"), Association.type_code,
           Association.target, Association.quantity)
    .where(Association.product_id.in_(_IDS)),
).order_by(literal_column("kind"), literal_column("code"), literal_column("target"))


def products_out(session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """ProductOut dicts for rows of PRODUCT_COLUMNS (or PAGE_COLUMNS: values then stay
    JSON text, as msgspec.Raw), in their order."""
    categories: dict[int, list[str]] = {row[0]: [] for row in rows}
    associations: dict[int, dict[str, list[dict[str, Any]]]] = {row[0]: {} for row in rows}
    if rows:
        for product_id, kind, code, target, quantity in session.execute(
                _PAGE_LINKS, {"ids": list(categories)}):
            if kind == "a":
                associations[product_id].setdefault(code, []).append(
                    {"sku": target, "quantity": quantity})
            else:
                categories[product_id].append(code)
    return [_out(sku, family, parent, enabled,
                 msgspec.Raw(values if values != "null" else "{}")
                 if isinstance(values, str) else values,
                 version, created, updated, sorted(categories[product_id]),
                 associations[product_id])
            for product_id, sku, family, parent, enabled, values, version, created, updated
            in rows]


def get_product_model(session: Session, code: str) -> dict[str, Any]:
    model = session.scalar(select(ProductModel).where(ProductModel.code == code))
    if model is None:
        raise NotFound(f"product model {code!r} does not exist")
    parent = None
    if model.parent_id:
        parent = session.scalar(select(ProductModel.code).where(ProductModel.id == model.parent_id))
    state = model_state(model, parent)
    state["code"] = state.pop("sku")
    state.pop("enabled")
    state.pop("associations")
    return {**state, "version": model.version, "created_at": model.created_at,
            "updated_at": model.updated_at}
