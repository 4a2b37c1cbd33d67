"""Reading products back out, as plain dicts (the shape of ProductOut)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.catalog.models import Product, ProductModel
from pim.catalog.product_models import model_state
from pim.catalog.products import _load_states
from pim.errors import NotFound


def product_out(session: Session, product: Product, state: dict[str, Any] | None = None) -> dict:
    state = state or _load_states(session, [product])[product.sku]
    return {
        "sku": product.sku,
        "family": state["family"],
        "parent": state["parent"],
        "categories": state["categories"],
        "enabled": state["enabled"],
        "values": state["values"],
        "associations": state["associations"],
        "version": product.version,
        "created_at": product.created_at,
        "updated_at": product.updated_at,
    }


def get_product(session: Session, sku: str) -> dict[str, Any]:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound(f"product {sku!r} does not exist")
    return product_out(session, product)


def get_products(session: Session, products: list[Product]) -> list[dict[str, Any]]:
    states = _load_states(session, products)
    return [product_out(session, p, states[p.sku]) for p in products]


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
