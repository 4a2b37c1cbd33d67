"""A product model's tree read whole: its root model, sub-models and variants with the values
of their axes (``FamilyVariant.axes``: level 1, then level 2), for navigating between a model
and its variants. A handful of statements whatever the tree's size, bounded by
``MAX_VARIANTS``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.catalog.models import Attribute, AttributeOption, FamilyVariant, Product, ProductModel

MAX_VARIANTS = 500  # variants read for one tree (a model with more is listed in part)


@dataclass(slots=True)
class TreeNode:
    code: str  # a model's code or a variant's SKU
    axes: dict[str, Any]  # axis code -> the value this node holds for it
    parent: str | None = None
    enabled: bool = True


@dataclass(slots=True)
class VariantTree:
    root: TreeNode
    family_variant: str | None
    axes: list[list[str]]  # the axes of level 1 and of level 2
    # axis code -> {"labels": {locale: label}, "type": type, "options": {code: labels}}
    axis_specs: dict[str, dict[str, Any]]
    sub_models: list[TreeNode] = field(default_factory=list)
    variants: list[TreeNode] = field(default_factory=list)
    truncated: bool = False


def variant_tree(session: Session, code: str) -> VariantTree | None:
    """The tree ``code`` (a variant's SKU or a model's code) belongs to; None for a product
    without a parent model, or an unknown code."""
    root_id = _root_of(session, code)
    if root_id is None:
        return None
    root = session.get(ProductModel, root_id)
    assert root is not None
    variant = session.get(FamilyVariant, root.family_variant_code) \
        if root.family_variant_code else None
    axes = [list(level) for level in (variant.axes if variant else [])]
    flat = [axis for level in axes for axis in level]
    subs = list(session.scalars(select(ProductModel).where(ProductModel.parent_id == root.id)
                                .order_by(ProductModel.code)))
    parents = {root.id: root.code, **{m.id: m.code for m in subs}}
    rows = session.execute(
        select(Product.sku, Product.parent_id, Product.enabled, Product.values)
        .where(Product.parent_id.in_(list(parents))).order_by(Product.sku)
        .limit(MAX_VARIANTS + 1)).all()
    return VariantTree(
        root=TreeNode(root.code, _axis_values(root.values, flat)),
        family_variant=root.family_variant_code, axes=axes,
        axis_specs=_axis_specs(session, flat),
        sub_models=[TreeNode(m.code, _axis_values(m.values, flat), root.code) for m in subs],
        variants=[TreeNode(sku, _axis_values(values, flat), parents[parent_id], bool(enabled))
                  for sku, parent_id, enabled, values in rows[:MAX_VARIANTS]],
        truncated=len(rows) > MAX_VARIANTS)


def _root_of(session: Session, code: str) -> int | None:
    parent_id = session.scalar(select(Product.parent_id).where(Product.sku == code))
    if parent_id is None:
        model = session.execute(select(ProductModel.id, ProductModel.parent_id)
                                .where(ProductModel.code == code)).first()
        if model is None:
            return None
        return model.parent_id or model.id
    grand = session.scalar(select(ProductModel.parent_id).where(ProductModel.id == parent_id))
    return grand or parent_id


def _axis_values(values: dict | None, axes: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for axis in axes:
        for entry in (values or {}).get(axis) or []:
            if isinstance(entry, dict) and entry.get("data") not in (None, ""):
                found[axis] = entry["data"]
                break
    return found


def _axis_specs(session: Session, axes: list[str]) -> dict[str, dict[str, Any]]:
    if not axes:
        return {}
    specs = {code: {"labels": labels or {}, "type": kind, "options": {}}
             for code, labels, kind in session.execute(
                 select(Attribute.code, Attribute.labels, Attribute.type)
                 .where(Attribute.code.in_(axes)))}
    for attribute, option, labels, _ in session.execute(
            select(AttributeOption.attribute_code, AttributeOption.code,
                   AttributeOption.labels, AttributeOption.sort_order)
            .where(AttributeOption.attribute_code.in_(axes))
            .order_by(AttributeOption.sort_order, AttributeOption.id)):
        specs[attribute]["options"][option] = labels or {}
    return specs
