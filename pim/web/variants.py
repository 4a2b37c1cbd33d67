"""Variant navigation: a product model and its variants, the axes as a small matrix (rows:
the first level's axes, e.g. colour; columns: the second's, e.g. size), each cell a link to
the variant, the page's own product marked. The editor includes it
(``products/_variant_nav.html`` with ``variant_nav``; see /work/notes/web-shared.md) for a
variant or a model; it is None for a product without a parent model."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from pim.catalog.variants import TreeNode, VariantTree, variant_tree
from pim.records import CatalogContext
from pim.web.grid import label_in


def variant_navigation(session: Session, code: str, *, root: str | None = None,
                       context: CatalogContext | None = None) -> dict[str, Any] | None:
    """What ``products/_variant_nav.html`` shows for the page of ``code`` (a variant's SKU
    or a model's code); ``root`` and ``context`` as ``variant_tree`` takes them."""
    tree = variant_tree(session, code, root=root, context=context)
    if tree is None:
        return None
    return navigation_view(tree, code)


def product_url(sku: str) -> str:
    return f"/products/{quote(sku, safe='')}"


def model_url(code: str) -> str:
    return f"/product-models/{quote(code, safe='')}"


def navigation_view(tree: VariantTree, current: str) -> dict[str, Any]:
    flat = [axis for level in tree.axes for axis in level]
    if len(tree.axes) >= 2:
        row_axes, column_axes = tree.axes[0], [a for level in tree.axes[1:] for a in level]
    else:
        row_axes, column_axes = flat[:1] if len(flat) > 1 else [], flat[1:] if len(flat) > 1 else flat
    models = {m.code: m for m in tree.sub_models}
    merged = {v.code: {**(models[v.parent].axes if v.parent in models else {}), **v.axes}
              for v in tree.variants}
    specs = tree.axis_specs

    def key(values: dict[str, Any], axes: list[str]) -> tuple:
        return tuple(_sort_key(specs.get(a), values.get(a)) for a in axes)

    def label(values: dict[str, Any], axes: list[str]) -> str:
        return " / ".join(_show(specs.get(a), values.get(a)) for a in axes) or "–"

    columns: dict[tuple, str] = {}
    rows: dict[tuple, dict[str, Any]] = {}
    for model in tree.sub_models:  # a colour without any size yet still has its row
        row_key = key(model.axes, row_axes)
        rows.setdefault(row_key, _row(label(model.axes, row_axes), model, current))
    for variant in tree.variants:
        values = merged[variant.code]
        row_key, column_key = key(values, row_axes), key(values, column_axes)
        columns.setdefault(column_key, label(values, column_axes))
        row = rows.setdefault(row_key, _row(label(values, row_axes),
                                            models.get(variant.parent or ""), current))
        row["cells"].setdefault(column_key, {
            "sku": variant.code, "url": product_url(variant.code),
            "current": variant.code == current, "enabled": variant.enabled})
    column_keys = sorted(columns)
    ordered = [rows[k] for k in sorted(rows)]
    for row in ordered:
        row["cells"] = [row["cells"].get(k) for k in column_keys]
    current_model = models.get(current) or (models.get(_parent_of(tree, current) or ""))
    path = [{"code": tree.root.code, "url": model_url(tree.root.code),
             "current": tree.root.code == current}]
    if current_model is not None:
        path.append({"code": current_model.code, "url": model_url(current_model.code),
                     "current": current_model.code == current})
    if current in merged:
        path.append({"code": current, "url": product_url(current), "current": True})
    return {"root": tree.root.code, "current": current, "path": path,
            "row_label": " / ".join(_axis_label(specs.get(a), a) for a in row_axes),
            "column_label": " / ".join(_axis_label(specs.get(a), a) for a in column_axes),
            "columns": [columns[k] for k in column_keys], "rows": ordered,
            "count": len(tree.variants), "truncated": tree.truncated}


def _row(label: str, model: TreeNode | None, current: str) -> dict[str, Any]:
    return {"label": label, "url": model_url(model.code) if model else None,
            "code": model.code if model else None,
            "current": bool(model and model.code == current), "cells": {}}


def _parent_of(tree: VariantTree, sku: str) -> str | None:
    return next((v.parent for v in tree.variants if v.code == sku), None)


def _axis_label(spec: dict[str, Any] | None, code: str) -> str:
    return label_in(spec["labels"], code) if spec else code


def _show(spec: dict[str, Any] | None, value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict) and "amount" in value:
        return f"{value['amount']} {value.get('unit', '')}".strip()
    if spec and isinstance(value, str) and value in spec["options"]:
        return label_in(spec["options"][value], value)
    return str(value)


def _sort_key(spec: dict[str, Any] | None, value: Any) -> tuple:
    """Options in their sort order, numbers by size, the rest by text; a missing value last."""
    if value is None:
        return (3, 0, "")
    if spec and isinstance(value, str) and value in spec["options"]:
        return (0, list(spec["options"]).index(value), value)
    if isinstance(value, dict) and "amount" in value:
        try:
            return (1, float(value["amount"]), str(value.get("unit", "")))
        except (TypeError, ValueError):
            pass
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (1, float(value), "")
    return (2, 0, str(value))
