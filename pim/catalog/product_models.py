"""Writing product models: the shared values of variants. Few rows, so one ORM path."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pim.catalog.listeners import ProductsChanged, products_changed
from pim.catalog.models import FamilyVariant, Product, ProductModel
from pim.catalog.products import CatalogCache, WritePolicy, WriteResult, _ownership_filter
from pim.catalog.state import normalise_values
from pim.catalog.values import validate_values
from pim.db import utcnow
from pim.history.diff import diff_states
from pim.history.models import HistoryEntry
from pim.records import ProductRecord, ValueKey, set_value, sku_problem


def model_state(model: ProductModel, parent_code: str | None) -> dict[str, Any]:
    return {
        "sku": model.code,
        "family": model.family_code,
        "family_variant": model.family_variant_code,
        "parent": parent_code,
        "enabled": True,
        "categories": sorted(model.categories or []),
        "values": model.values or {},
        "associations": {},
    }


def write_product_models(
    session: Session,
    records: list[ProductRecord],
    *,
    actor: str | None,
    source: str,
    policy: WritePolicy = WritePolicy(),
    cache: CatalogCache | None = None,
) -> list[WriteResult]:
    """Create or update product models (parents first: a sub-model names its parent)."""
    cache = cache or CatalogCache.for_records(session, records)
    results = []
    changed_models: list[int] = []
    for record in records:
        result = WriteResult(sku=record.sku, status="unchanged", row=record.row)
        results.append(result)
        # Locked (PostgreSQL) until the transaction ends: its version is the one replaced.
        # Read afresh even when the session holds the model already: it may have read it
        # before a concurrent writer committed.
        model = session.scalar(select(ProductModel).where(ProductModel.code == record.sku)
                               .with_for_update()
                               .execution_options(populate_existing=True))
        parent_code = None
        if model is not None and model.parent_id:
            parent_code = session.scalar(
                select(ProductModel.code).where(ProductModel.id == model.parent_id))
        old = model_state(model, parent_code) if model else {
            "sku": record.sku, "family": None, "family_variant": None, "parent": None,
            "enabled": True, "categories": [], "values": {}, "associations": {}}
        new = copy.deepcopy(old)
        errors: list[dict[str, Any]] = []
        if model is None and (problem := sku_problem(record.sku)) is not None:
            errors.append({"field": "code", "message": problem})
        if record.family_variant is not None:
            variant = session.get(FamilyVariant, record.family_variant)
            if variant is None:
                errors.append({"field": "family_variant",
                               "message": f"family variant {record.family_variant!r} does not exist"})
            else:
                new["family_variant"], new["family"] = variant.code, variant.family_code
        if record.family is not None and record.family not in cache.family_attributes:
            errors.append({"field": "family", "message": f"family {record.family!r} does not exist"})
        elif record.family is not None:
            new["family"] = record.family
        parent = None
        if record.parent:
            parent = session.scalar(select(ProductModel).where(ProductModel.code == record.parent))
            if parent is None:
                errors.append({"field": "parent",
                               "message": f"product model {record.parent!r} does not exist"})
            elif parent.parent_id is not None:
                errors.append({"field": "parent", "message": "models nest two levels at most"})
            else:
                new["parent"] = parent.code
                new["family_variant"] = new["family_variant"] or parent.family_variant_code
                new["family"] = new["family"] or parent.family_code
        if model is None and not new["family"] and not errors:
            errors.append({"field": "family_variant", "message": (
                "a new product model needs its family variant (family_variant), or a parent "
                "model")})
        if record.categories is not None:
            unknown = [c for c in record.categories if c not in cache.category_ids]
            if unknown:
                errors.append({"field": "categories",
                               "message": f"unknown categories: {', '.join(unknown)}"})
            new["categories"] = sorted(set(record.categories))
        validated, problems = validate_values(record.values, cache.context,
                                              channels=cache.channels,
                                              checks=cache.value_checks)
        clean, own_errors, conflicts = _ownership_filter(validated, old["values"], policy,
                                                         cache.context)
        result.conflicts.extend(conflicts)
        errors += own_errors + [p.as_dict() for p in problems]
        if errors:
            result.status, result.errors = "refused", errors
            continue
        values = copy.deepcopy(new["values"])
        for code, entries in clean.items():
            for entry in entries:
                set_value(values, ValueKey(code, entry["locale"], entry["scope"]), entry["data"])
        new["values"] = normalise_values(values)
        diff = diff_states(old, new)
        if old["family_variant"] != new["family_variant"]:
            diff.append({"field": "family_variant", "old": old["family_variant"],
                         "new": new["family_variant"]})
        if not diff and model is not None:
            result.version = model.version
            continue
        now = utcnow()
        if model is None:
            model = ProductModel(code=record.sku, created_at=now)
            session.add(model)
            result.status, model.version = "created", 1
        else:
            result.status, model.version = "updated", model.version + 1
        model.family_code, model.family_variant_code = new["family"], new["family_variant"]
        model.parent_id = parent.id if parent else (model.parent_id if not record.parent else None)
        model.categories, model.values, model.updated_at = new["categories"], new["values"], now
        session.flush()
        cache.models[model.code] = (model.id, model.family_code)
        result.version, result.diff = model.version, diff
        session.execute(insert(HistoryEntry), [{
            "entity": "product_model", "code": model.code, "version": model.version,
            "changed_at": now, "changed_by": actor, "source": source, "diff": diff,
            "state": new}])
        changed_models.append(model.id)
    if changed_models:
        _variants_changed(session, changed_models)
    return results


def _variants_changed(session: Session, model_ids: list[int]) -> None:
    """Variants inherit their models' values: their projections changed too."""
    sub_models = list(session.scalars(
        select(ProductModel.id).where(ProductModel.parent_id.in_(model_ids))))
    product_ids = list(session.scalars(
        select(Product.id).where(Product.parent_id.in_(model_ids + sub_models))))
    if product_ids:
        products_changed(session, ProductsChanged(product_ids))
