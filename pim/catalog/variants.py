"""A product model's tree read whole: its root model, sub-models and variants with the values
of their axes (``FamilyVariant.axes``: level 1, then level 2), for navigating between a model
and its variants. A handful of statements whatever the tree's size, bounded by
``MAX_VARIANTS``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pim.catalog.models import Attribute, AttributeOption, FamilyVariant, Product, ProductModel
from pim.records import CatalogContext

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


def variant_tree(session: Session, code: str, *, root: str | None = None,
                 context: CatalogContext | None = None) -> VariantTree | None:
    """The tree ``code`` (a variant's SKU or a model's code) belongs to; None for a product
    without a parent model, or an unknown code. A caller that knows the tree's ``root``
    model and holds the catalog ``context`` spares their reads (three statements then)."""
    root_row = None
    if root is not None:
        root_row = session.execute(_MODEL_ROW.where(_MODEL.c.code == root)).first()
    else:
        root_id = _root_of(session, code)
        if root_id is not None:
            root_row = session.execute(_MODEL_ROW.where(_MODEL.c.id == root_id)).first()
    if root_row is None:
        return None
    root_id, root_code, _, variant_code = root_row
    axes = [list(level) for level in _axes_of(session, variant_code, context)]
    flat = [axis for level in axes for axis in level]
    root_values = session.execute(select(*_axis_columns(_MODEL.c["values"], flat))
                                  .where(_MODEL.c.id == root_id)).first() if flat else ()
    subs = session.execute(select(_MODEL.c.id, _MODEL.c.code,
                                  *_axis_columns(_MODEL.c["values"], flat))
                           .where(_MODEL.c.parent_id == root_id)
                           .order_by(_MODEL.c.code)).all()
    parents = {root_id: root_code, **{sub_id: sub_code for sub_id, sub_code, *_ in subs}}
    rows = session.execute(
        select(Product.sku, Product.parent_id, Product.enabled,
               *_axis_columns(Product.values, flat))
        .where(Product.parent_id.in_(list(parents))).order_by(Product.sku)
        .limit(MAX_VARIANTS + 1)).all()
    return VariantTree(
        root=TreeNode(root_code, _axis_values(root_values or (), flat)),
        family_variant=variant_code, axes=axes,
        axis_specs=(_axis_specs_in(context, flat) if context is not None
                    else _axis_specs(session, flat)),
        sub_models=[TreeNode(sub_code, _axis_values(values, flat), root_code)
                    for _, sub_code, *values in subs],
        variants=[TreeNode(sku, _axis_values(values, flat), parents[parent_id], bool(enabled))
                  for sku, parent_id, enabled, *values in rows[:MAX_VARIANTS]],
        truncated=len(rows) > MAX_VARIANTS)


_MODEL = ProductModel.__table__
_MODEL_ROW = select(_MODEL.c.id, _MODEL.c.code, _MODEL.c.parent_id,
                    _MODEL.c.family_variant_code)


def _axis_columns(values: Any, axes: list[str]) -> list[Any]:
    """The entries of each axis in a ``values`` column, read in the database: a tree's
    nodes hold many more values than their axes, and decoding them all was most of the
    tree's cost."""
    return [values[axis] for axis in axes]


def _axes_of(session: Session, variant_code: str | None,
             context: CatalogContext | None) -> list[list[str]]:
    if not variant_code:
        return []
    if context is not None:
        spec = context.family_variants.get(variant_code)
        return spec.axes if spec is not None else []
    variant = session.get(FamilyVariant, variant_code)
    return variant.axes if variant is not None else []


def _axis_specs_in(context: CatalogContext, axes: list[str]) -> dict[str, dict[str, Any]]:
    """``_axis_specs`` from a catalog context (its options are in the same order)."""
    return {code: {"labels": spec.labels, "type": spec.type, "options": dict(spec.options)}
            for code in axes if (spec := context.attributes.get(code)) is not None}


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


def _axis_values(entries: Sequence[Any], axes: list[str]) -> dict[str, Any]:
    """Each axis's value from its entries (``entries[i]`` those of ``axes[i]``, as
    ``_axis_columns`` reads them): the first one holding data."""
    found: dict[str, Any] = {}
    for axis, axis_entries in zip(axes, entries, strict=True):
        for entry in axis_entries or []:
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
