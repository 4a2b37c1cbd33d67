"""Listing products and product models by catalog fields, one keyset page at a time.

Filters on what other slices keep (a channel's workflow status or completeness) are added by
those slices as further conditions (``pim.workflow.listing``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from pim.catalog.models import Category, Product, ProductCategory, ProductModel
from pim.catalog.product_models import model_state
from pim.catalog.read import PAGE_COLUMNS, products_out
from pim.errors import NotFound


@dataclass(frozen=True, slots=True)
class ProductFilters:
    family: str | None = None
    category: str | None = None  # with its descendants
    enabled: bool | None = None
    updated_since: datetime | None = None


def list_products(session: Session, filters: ProductFilters, *, after: int | None, limit: int,
                  conditions: Iterable[ColumnElement[bool]] = ()
                  ) -> tuple[list[dict[str, Any]], int | None]:
    """One page of products (as ProductOut dicts) and the id to continue after (or None).
    Plain columns, no ORM objects: a page is 50 to 500 products. ``conditions`` narrow
    the page further (on ``Product``)."""
    query = select(*PAGE_COLUMNS).order_by(Product.id).limit(limit + 1)
    if after is not None:
        query = query.where(Product.id > after)
    for condition in [*product_conditions(session, filters), *conditions]:
        query = query.where(condition)
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return products_out(session, rows), (rows[-1].id if more and rows else None)


def product_conditions(session: Session, f: ProductFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.family:
        conditions.append(Product.family_code == f.family)
    if f.enabled is not None:
        conditions.append(Product.enabled.is_(f.enabled))
    if f.updated_since is not None:
        conditions.append(Product.updated_at >= f.updated_since)
    if f.category:
        path = session.scalar(select(Category.path).where(Category.code == f.category))
        if path is None:
            raise NotFound(f"category {f.category!r} does not exist")
        conditions.append(exists(
            select(ProductCategory.product_id)
            .join(Category, Category.id == ProductCategory.category_id)
            .where(ProductCategory.product_id == Product.id, Category.path.like(path + "%"))))
    return conditions


def list_product_models(session: Session, *, family: str | None, after: int | None,
                        limit: int) -> tuple[list[dict[str, Any]], int | None]:
    query = select(ProductModel).order_by(ProductModel.id).limit(limit + 1)
    if after is not None:
        query = query.where(ProductModel.id > after)
    if family:
        query = query.where(ProductModel.family_code == family)
    rows = list(session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    parents = dict(session.execute(select(ProductModel.id, ProductModel.code).where(
        ProductModel.id.in_({m.parent_id for m in rows if m.parent_id}))).all())
    return [model_out(m, parents.get(m.parent_id) if m.parent_id else None)
            for m in rows], (
        rows[-1].id if more and rows else None)


def model_out(model: ProductModel, parent_code: str | None) -> dict[str, Any]:
    state = model_state(model, parent_code)
    return {"code": state["sku"], "family": state["family"],
            "family_variant": state["family_variant"], "parent": state["parent"],
            "categories": state["categories"], "values": state["values"],
            "version": model.version, "created_at": model.created_at,
            "updated_at": model.updated_at}
