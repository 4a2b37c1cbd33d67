"""Listing products and product models with filters, one keyset page at a time.

This is a read service (the transport calls it, it builds the queries); it belongs with the
catalog and moves there when the search slice takes over text search.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from pim.catalog.models import Category, Product, ProductCategory, ProductModel
from pim.catalog.product_models import model_state
from pim.catalog.read import PAGE_COLUMNS, products_out
from pim.errors import Invalid, NotFound
from pim.workflow.models import Completeness, ProductChannelStatus


@dataclass(frozen=True, slots=True)
class ProductFilters:
    family: str | None = None
    category: str | None = None  # with its descendants
    enabled: bool | None = None
    channel: str | None = None  # what status and completeness refer to
    status: str | None = None
    completeness_below: int | None = None  # some locale of the channel below this percent
    completeness_above: int | None = None  # every locale of the channel at or above it
    locale: str | None = None  # narrows completeness to one locale
    updated_since: datetime | None = None
    search: str | None = None


def list_products(session: Session, filters: ProductFilters, *, after: int | None,
                  limit: int) -> tuple[list[dict[str, Any]], int | None]:
    """One page of products (as ProductOut dicts) and the id to continue after (or None).
    Plain columns, no ORM objects: a page is 50 to 500 products."""
    query = select(*PAGE_COLUMNS).order_by(Product.id).limit(limit + 1)
    if after is not None:
        query = query.where(Product.id > after)
    for condition in _conditions(session, filters):
        query = query.where(condition)
    rows = session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return products_out(session, rows), (rows[-1].id if more and rows else None)


def _conditions(session: Session, f: ProductFilters) -> list[Any]:
    conditions: list[Any] = []
    if f.family:
        conditions.append(Product.family_code == f.family)
    if f.enabled is not None:
        conditions.append(Product.enabled.is_(f.enabled))
    if f.updated_since is not None:
        conditions.append(Product.updated_at >= f.updated_since)
    if f.search:
        pattern = "%" + f.search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(Product.search_text.ilike(pattern, escape="\\"),
                              Product.sku.ilike(pattern, escape="\\")))
    if f.category:
        path = session.scalar(select(Category.path).where(Category.code == f.category))
        if path is None:
            raise NotFound(f"category {f.category!r} does not exist")
        conditions.append(exists(
            select(ProductCategory.product_id)
            .join(Category, Category.id == ProductCategory.category_id)
            .where(ProductCategory.product_id == Product.id, Category.path.like(path + "%"))))
    wants_channel = (f.status, f.completeness_below, f.completeness_above)
    if any(v is not None for v in wants_channel) and not f.channel:
        raise Invalid("status and completeness filters need a channel",
                      errors=[{"field": "channel", "message": "required with these filters"}])
    if f.status:
        conditions.append(exists(select(ProductChannelStatus.product_id).where(
            ProductChannelStatus.product_id == Product.id,
            ProductChannelStatus.channel_code == f.channel,
            ProductChannelStatus.status == f.status)))
    scope = [Completeness.product_id == Product.id, Completeness.channel_code == f.channel]
    if f.locale:
        scope.append(Completeness.locale == f.locale)
    if f.completeness_below is not None:
        conditions.append(exists(select(Completeness.product_id).where(
            *scope, Completeness.percent < f.completeness_below)))
    if f.completeness_above is not None:
        conditions.append(exists(select(Completeness.product_id).where(*scope)))
        conditions.append(~exists(select(Completeness.product_id).where(
            *scope, Completeness.percent < f.completeness_above)))
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
    return [model_out(m, parents.get(m.parent_id)) for m in rows], (
        rows[-1].id if more and rows else None)


def model_out(model: ProductModel, parent_code: str | None) -> dict[str, Any]:
    state = model_state(model, parent_code)
    return {"code": state["sku"], "family": state["family"],
            "family_variant": state["family_variant"], "parent": state["parent"],
            "categories": state["categories"], "values": state["values"],
            "version": model.version, "created_at": model.created_at,
            "updated_at": model.updated_at}
