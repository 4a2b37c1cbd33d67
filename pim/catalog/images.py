"""The main image of a page of products: the value of its family's image attribute
(``Family.image_attribute``), its own or inherited from its product models, as stored (a
media content path or a URL not fetched yet). Read as JSON paths in SQL: a page's values
are never decoded whole for one field."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from pim.catalog.models import Family, Product, ProductModel


def main_image_values(session: Session, product_ids: Sequence[int]) -> dict[int, str]:
    """product id -> its main image value, for the products that have one."""
    if not product_ids:
        return {}
    attributes = {family: attribute for family, attribute in session.execute(
        select(Family.code, Family.image_attribute)) if attribute}
    parent = aliased(ProductModel)
    owners: dict[str, list[int]] = {}
    parents: dict[int, int | None] = {}
    for product_id, family, parent_id in session.execute(
            select(Product.id, func.coalesce(Product.family_code, parent.family_code),
                   Product.parent_id)
            .outerjoin(parent, parent.id == Product.parent_id)
            .where(Product.id.in_(list(product_ids)))):
        if family in attributes:
            owners.setdefault(attributes[family], []).append(product_id)
            parents[product_id] = parent_id
    found: dict[int, str] = {}
    waiting: dict[int, tuple[int, str]] = {}  # product id -> (a model to look in, attribute)
    for attribute, ids in owners.items():
        for product_id, value in session.execute(
                select(Product.id, Product.values[(attribute, 0, "data")].as_string())
                .where(Product.id.in_(ids))):
            model_id = parents.get(product_id)
            if value:
                found[product_id] = value
            elif model_id is not None:
                waiting[product_id] = (model_id, attribute)
    for _ in range(2):  # the variant's model, then that model's parent
        if not waiting:
            break
        waiting = _from_models(session, waiting, found)
    return found


def _from_models(session: Session, waiting: dict[int, tuple[int, str]],
                 found: dict[int, str]) -> dict[int, tuple[int, str]]:
    model_ids = sorted({model_id for model_id, _ in waiting.values()})
    held: dict[tuple[int, str], tuple[str | None, int | None]] = {}
    for attribute in sorted({attribute for _, attribute in waiting.values()}):
        for model_id, value, parent_id in session.execute(
                select(ProductModel.id,
                       ProductModel.values[(attribute, 0, "data")].as_string(),
                       ProductModel.parent_id).where(ProductModel.id.in_(model_ids))):
            held[(model_id, attribute)] = (value, parent_id)
    still: dict[int, tuple[int, str]] = {}
    for product_id, (model_id, attribute) in waiting.items():
        value, parent_id = held.get((model_id, attribute), (None, None))
        if value:
            found[product_id] = value
        elif parent_id is not None:
            still[product_id] = (parent_id, attribute)
    return still
