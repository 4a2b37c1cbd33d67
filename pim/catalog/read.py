"""Reading products back out, as plain dicts (the shape of ProductOut)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, literal_column, null, select, union_all
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pim.catalog.models import Association, Category, Product, ProductCategory, ProductModel
from pim.catalog.product_models import model_state
from pim.errors import NotFound


def get_product(session: Session, sku: str) -> dict[str, Any]:
    """One product inside ``session``'s transaction (what a write answers with); the same
    dict as a page's or ``fetch_product``'s."""
    rows = session.execute(select(*PRODUCT_COLUMNS).where(Product.sku == sku)).all()
    if not rows:
        raise NotFound(f"product {sku!r} does not exist")
    return products_out(session, rows)[0]


# Reading one product by SKU is the API's hottest path: one prebuilt Core statement
# (compiled once, then served from the statement cache), one round trip, no session and no
# ORM objects. Its rows: the product ("p"), then one per category ("c": code) and per
# association ("a": type, target SKU, quantity), sharing the product row's columns.
_BY_SKU = bindparam("sku")
_PRODUCT_ROWS = union_all(
    select(literal_column("'p'").label("kind"), Product.sku.label("code"),
           Product.family_code.label("target"),
           select(ProductModel.code).where(ProductModel.id == Product.parent_id)
           .scalar_subquery().label("parent"),
           Product.enabled, Product.values, Product.version.label("number"),
           Product.created_at, Product.updated_at)
    .where(Product.sku == _BY_SKU),
    select(literal_column("'c'"), Category.code, null(), null(), null(), null(), null(),
           null(), null())
    .join(ProductCategory, ProductCategory.category_id == Category.id)
    .join(Product, Product.id == ProductCategory.product_id)
    .where(Product.sku == _BY_SKU),
    select(literal_column("'a'"), Association.type_code, Association.target, null(), null(),
           null(), Association.quantity, null(), null())
    .join(Product, Product.id == Association.product_id)
    .where(Product.sku == _BY_SKU),
).order_by(literal_column("kind"), literal_column("code"), literal_column("target"))


class _PreparedRead:
    """A Core select compiled once per dialect and run straight on a pooled DBAPI
    connection, its columns decoded by their own types' result processors.

    For a read hot enough that SQLAlchemy's per-execute bookkeeping (about 50 us) outweighs
    the query itself (about 10 us on SQLite). Only SQLite takes this path: a single SELECT
    there is its own snapshot without a transaction, and its parameters are positional.
    Other databases run the same statement through a Core connection."""

    def __init__(self, statement):
        self.statement = statement
        self._compiled: dict[Any, tuple[str, list[str], list[Any]]] = {}

    def _compile(self, dialect) -> tuple[str, list[str], list[Any]]:
        compiled = self._compiled.get(dialect)
        if compiled is None:
            sql = self.statement.compile(dialect=dialect)
            processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                          for column in self.statement.selected_columns]
            compiled = self._compiled[dialect] = (sql.string, list(sql.positiontup), processors)
        return compiled

    def rows(self, engine: Engine, params: dict[str, Any]) -> list[tuple]:
        if engine.dialect.name != "sqlite":
            with engine.connect() as connection:
                return [tuple(row) for row in connection.execute(self.statement, params)]
        sql, names, processors = self._compile(engine.dialect)
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            fetched = cursor.execute(sql, [params[name] for name in names]).fetchall()
            cursor.close()
        finally:
            raw.close()
        return [tuple(value if process is None or value is None else process(value)
                      for value, process in zip(row, processors, strict=True))
                for row in fetched]


_PRODUCT_READ = _PreparedRead(_PRODUCT_ROWS)


def fetch_product(engine: Engine, sku: str) -> dict[str, Any]:
    """One product as a ProductOut dict, in one statement (the same as get_product)."""
    return _product_from_rows(_PRODUCT_READ.rows(engine, {"sku": sku}), sku)


def _product_from_rows(rows, sku: str) -> dict[str, Any]:
    product: dict[str, Any] | None = None
    categories: list[str] = []
    associations: dict[str, list[dict[str, Any]]] = {}
    for kind, code, target, parent, enabled, values, number, created, updated in rows:
        if kind == "a":
            associations.setdefault(code, []).append({"sku": target, "quantity": number})
        elif kind == "c":
            categories.append(code)
        else:
            product = _out(code, target, parent, enabled, values, number, created, updated,
                           categories, associations)
    if product is None:
        raise NotFound(f"product {sku!r} does not exist")
    categories.sort()
    return product


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
_IDS = bindparam("ids", expanding=True)
_PAGE_LINKS = union_all(
    select(ProductCategory.product_id.label("product_id"), literal_column("'c'").label("kind"),
           Category.code.label("code"), null().label("target"), null().label("quantity"))
    .join(ProductCategory, ProductCategory.category_id == Category.id)
    .where(ProductCategory.product_id.in_(_IDS)),
    select(Association.product_id, literal_column("'a'"), Association.type_code,
           Association.target, Association.quantity)
    .where(Association.product_id.in_(_IDS)),
).order_by(literal_column("kind"), literal_column("code"), literal_column("target"))


def products_out(session: Session, rows: list) -> list[dict[str, Any]]:
    """ProductOut dicts for rows of PRODUCT_COLUMNS, in their order."""
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
    return [_out(sku, family, parent, enabled, values, version, created, updated,
                 sorted(categories[product_id]), associations[product_id])
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
