"""Writing products: the one path the API, UI, CLI, imports and ERP pulls all take.

``write_products`` validates a batch of records against the catalog, applies the ownership
policy, locks the products it reads (so a version check holds until the write commits)
and refuses stale versions, merges the given fields into the stored product, and for
every product that really changed bumps its version, records a history entry with a
field-level diff, marks it dirty for search and announces it (``listeners.products_changed``:
completeness, "changed since published"). A record that changes
nothing writes nothing, so re-running an import is free and leaves no history.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from orjson import Fragment
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from pim.catalog.listeners import ProductsChanged, products_changed, scope_codes
from pim.catalog.models import (
    Association,
    AssociationType,
    Category,
    Family,
    Product,
    ProductCategory,
    ProductModel,
    Stock,
)
from pim.catalog.state import created_product, merged_values, normalise_values
from pim.catalog.structure import load_context, shared_context
from pim.catalog.values import VALUES_NOT_SENT, CheckedValues, ValueChecks, validate_values
from pim.db import fewer_collections, insert_many, json_dumps, utcnow
from pim.history.diff import diff_states, empty_state
from pim.history.models import HistoryEntry
from pim.records import CatalogContext, ProductRecord, ValueKey, get_value, sku_problem

SourceKind = Literal["user", "import", "erp", "system"]

BIG_BATCH = 100  # write_products collects less often from this many records on


@dataclass(frozen=True)
class WritePolicy:
    """Who is writing decides which attributes they may write.

    - ``user`` (UI, API, CLI edits) writes pim-owned attributes; an ERP-owned one is refused.
    - ``import`` writes everything, but never overwrites a pim-owned value that is already
      set unless ``overwrite_pim_owned``; skipped values are reported as conflicts.
    - ``erp`` writes ERP-owned attributes only; pim-owned values it sends are conflicts.
    - ``system`` (restore, demo) writes everything.
    """

    kind: SourceKind = "user"
    overwrite_pim_owned: bool = False


@dataclass
class WriteResult:
    sku: str
    status: Literal["created", "updated", "unchanged", "refused"]
    version: int | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    # What changed; left empty for a product the import worker made (nothing reads it in an
    # import): ``pim.history.diff.creation_diff`` of its state gives it.
    diff: list[dict[str, Any]] = field(default_factory=list)
    row: int | None = None

    @property
    def ok(self) -> bool:
        return self.status != "refused"


class CatalogCache:
    """Lookups that stay valid for a whole import: context, channels, categories, families,
    and the product models (all of them read at once unless ``all_models`` is False: a write
    of a few products reads the few it names; there can be tens of thousands)."""

    def __init__(self, session: Session, context: CatalogContext | None = None, *,
                 all_models: bool = True):
        self.context = context or load_context(session)
        self.value_checks = ValueChecks(self.context)
        self.channels = scope_codes(session)
        self.category_ids = dict(session.execute(select(Category.code, Category.id)).all())
        self.family_attributes = {
            code: frozenset(attrs or ())
            for code, attrs in session.execute(select(Family.code, Family.attributes))
        }
        self.association_types = dict(
            session.execute(select(AssociationType.code, AssociationType.quantified)).all()
        )
        # Product models are few next to products: hold them all for the import.
        self.models: dict[str, tuple[int, str | None]] = {
            code: (mid, family) for code, mid, family in session.execute(
                select(ProductModel.code, ProductModel.id, ProductModel.family_code))
        } if all_models else {}

    @classmethod
    def for_records(cls, session: Session, records: list) -> CatalogCache:
        """The cache a write of ``records`` builds for itself. A write of a few (an edit)
        reads the models it names, not all of them, and the structure as ``shared_context``
        holds it (one statement while unchanged; the write only reads it)."""
        if len(records) >= BIG_BATCH:
            return cls(session)
        return cls(session, shared_context(session), all_models=False)

    def model(self, session: Session, code: str) -> tuple[int, str | None] | None:
        if code not in self.models:
            row = session.execute(
                select(ProductModel.id, ProductModel.family_code).where(ProductModel.code == code)
            ).first()
            if row is None:
                return None
            self.models[code] = (row[0], row[1])
        return self.models[code]


def writes_new_products_whole(policy: WritePolicy) -> bool:
    """Whether ``policy`` writes every value a record gives to the product it creates."""
    return _holds_nothing_back(policy, {})


def _holds_nothing_back(policy: WritePolicy, old_values) -> bool:
    """Whether ``policy`` writes every value given over ``old_values``. An import only holds
    back pim-owned values already set: with none set (a new product) or overwriting
    allowed, every value is written."""
    return policy.kind == "system" or (
        policy.kind == "import" and (policy.overwrite_pim_owned or not old_values))


def _ownership_filter(values, old_values, policy: WritePolicy, context):
    """Drop values the writer may not write; return (values, errors, conflicts).

    Runs on validated, canonical values, so an incoming "12" and a stored "12.00" are the
    same value and no false conflict is reported."""
    errors: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    if _holds_nothing_back(policy, old_values):
        return values, errors, conflicts
    allowed: dict[str, list] = {}
    for code, entries in values.items():
        spec = context.attributes.get(code)
        if spec is None:
            allowed[code] = entries  # validation reports it
            continue
        erp_edit = spec.owner == "erp" and policy.kind == "user"
        erp_pull = spec.owner == "pim" and policy.kind == "erp"
        kept = (spec.owner == "pim" and policy.kind == "import" and not policy.overwrite_pim_owned
                and bool(old_values.get(code)))
        if not (erp_edit or erp_pull or kept):
            allowed[code] = entries  # nothing to check: every entry is written
            continue
        for entry in entries:
            key = ValueKey(code, entry.get("locale"), entry.get("scope"))
            current = get_value(old_values, key)
            if erp_edit:
                if entry.get("data") != current:
                    errors.append({"attribute": code, "locale": key.locale, "scope": key.scope,
                                   "message": "is owned by the ERP: change it there"})
                continue
            if erp_pull:
                conflicts.append({"attribute": code, "locale": key.locale, "scope": key.scope,
                                  "message": "pim-owned: not written by ERP pulls",
                                  "current": current, "incoming": entry.get("data")})
                continue
            if current not in (None, "", []) and entry.get("data") != current:
                conflicts.append({"attribute": code, "locale": key.locale, "scope": key.scope,
                                  "message": "pim-owned value kept (profile does not overwrite)",
                                  "current": current, "incoming": entry.get("data")})
                continue
            allowed.setdefault(code, []).append(entry)
    return allowed, errors, conflicts


def write_products(
    session: Session,
    records: list[ProductRecord],
    *,
    actor: str | None,
    source: str,
    policy: WritePolicy = WritePolicy(),
    expected_versions: dict[str, int] | None = None,
    cache: CatalogCache | None = None,
    replace_values: bool = False,
    checked: list[CheckedValues | None] | None = None,
) -> list[WriteResult]:
    """Create or update a batch of products (by SKU) in the session's transaction.

    Results come back in input order. Refused records write nothing. ``replace_values``
    makes the given values the product's whole value set (restore); otherwise values merge.
    ``checked`` (aligned with ``records``) holds values already validated against
    ``cache``'s context and channels (the import worker); a record whose product ends up
    in another family than the one it was checked for is validated here. A check may carry
    the state, JSON and search text of the product the record creates, used when the SKU
    is not stored and the policy writes a new product's values whole.
    """
    with fewer_collections() if len(records) >= BIG_BATCH else nullcontext():
        return _write_products(session, records, actor=actor, source=source, policy=policy,
                               expected_versions=expected_versions, cache=cache,
                               replace_values=replace_values, checked=checked)


def _write_products(
    session: Session,
    records: list[ProductRecord],
    *,
    actor: str | None,
    source: str,
    policy: WritePolicy,
    expected_versions: dict[str, int] | None,
    cache: CatalogCache | None,
    replace_values: bool,
    checked: list[CheckedValues | None] | None,
) -> list[WriteResult]:
    cache = cache or CatalogCache.for_records(session, records)
    context = cache.context
    expected_versions = expected_versions or {}
    skus = [r.sku for r in records]
    # Plain rows, not ORM objects: a batch of 1000 updates builds no identity map.
    # Locked until the transaction ends, in SKU order (so batches overlapping in any order
    # cannot deadlock): a concurrent writer of the same products waits, then reads the
    # versions this one writes. The version check below is therefore part of the write. On
    # SQLite, FOR UPDATE is not said: a writer holds the database's write lock from BEGIN.
    existing = {p.sku: p for p in session.execute(
        select(Product.id, Product.sku, Product.version, Product.family_code,
               Product.parent_id, Product.enabled, Product.values)
        .where(Product.sku.in_(skus)).order_by(Product.sku).with_for_update(of=Product))}
    states = _load_states(session, list(existing.values()))
    now = utcnow()
    # Products the import worker made (CheckedValues.created) come with their JSON columns
    # encoded: written as they are where the engine encodes JSON the same way (orjson).
    encoded = (checked is not None and writes_new_products_whole(policy)
               and getattr(session.get_bind().dialect, "_json_serializer", None) is json_dumps)
    results: list[WriteResult] = []
    inserts, updates, history, touched = [], [], [], []
    seen: set[str] = set()

    for position, record in enumerate(records):
        result = WriteResult(sku=record.sku, status="unchanged", row=record.row)
        results.append(result)
        if record.sku in seen:
            result.status = "refused"
            result.errors.append({"field": "sku", "message": "given twice in one batch"})
            continue
        seen.add(record.sku)
        product = existing.get(record.sku)
        if product is None and (problem := sku_problem(record.sku)) is not None:
            result.status = "refused"
            result.errors.append({"field": "sku", "message": problem})
            continue
        old = states.get(record.sku) or empty_state(record.sku)
        expected = expected_versions.get(record.sku, record.version)
        if expected is not None and (product.version if product else 0) != expected:
            result.status = "refused"
            current = product.version if product else 0
            result.errors.append({"field": "version", "message":
                                  f"version {expected} is stale (current version is {current})"})
            result.version = current
            continue
        check = checked[position] if checked else None
        created = None
        if product is None and check is not None and encoded:
            # Made as the code below would make it, its JSON encoded: by the import worker,
            # or here from the worker's checks (several times cheaper than merging, diffing
            # and encoding through the columns).
            created = check.created
            if created is None and check.family == record.family:
                created = created_product(record, check, context)
        if created is not None:
            new, diff = created.head, []  # not needed: see WriteResult.diff
            stored_values = Fragment(created.values_json)
            logged_state = Fragment(created.state_json)
        else:
            new, errors = _merge(record, old, policy, cache, session, result, replace_values,
                                 check)
            if errors:
                result.status, result.errors = "refused", result.errors + errors
                continue
            diff = diff_states(old, new)
            if not diff:
                result.version = product.version if product else None
                if product is not None:
                    continue
                diff = [{"field": "sku", "old": None, "new": record.sku}]  # an empty record
            stored_values = new["values"]
            logged_state = new
        result.diff = diff
        version = (product.version + 1) if product else 1
        result.version = version
        result.status = "updated" if product else "created"
        row = {
            "sku": record.sku,
            "family_code": new["family"],
            "parent_id": (parent[0] if new["parent"] and (
                parent := cache.model(session, new["parent"])) else None),
            "enabled": new["enabled"],
            "values": stored_values,
            "version": version,
            "updated_at": now,
            "updated_by": actor,
            "search_dirty": True,
        }
        if product:
            updates.append({"id": product.id, **row})
        else:
            inserts.append({**row, "created_at": now})
        history.append({"entity": "product", "code": record.sku, "version": version,
                        "changed_at": now, "changed_by": actor, "source": source,
                        # A creation's diff is its state (HistoryEntry.changes): not stored.
                        "diff": diff if product else [], "state": logged_state})
        touched.append((record, old, new))

    ids = {sku: p.id for sku, p in existing.items()}
    table = Product.__table__
    if inserts:
        # Core executemany, then one SELECT for the new ids: several times faster than an
        # ORM bulk insert with RETURNING on both engines.
        insert_many(session, table, inserts, same_in_every_row=(
            "version", "created_at", "updated_at", "updated_by", "search_dirty"))
        new_skus = [row["sku"] for row in inserts]
        ids.update(session.execute(
            select(Product.sku, Product.id).where(Product.sku.in_(new_skus))).all())
    if updates:
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")),
            [{**{k: v for k, v in row.items() if k != "id"}, "b_id": row["id"]}
             for row in updates],
        )
        _expire_loaded(session, {row["id"] for row in updates})
    _write_links(session, touched, ids, cache, stored=existing.keys())
    if history:
        insert_many(session, HistoryEntry.__table__, history, same_in_every_row=(
            "entity", "changed_at", "changed_by", "source"))
    changed_ids = [ids[r.sku] for r, _, _ in touched]
    ok_records = [r for r, res in zip(records, results, strict=True) if res.ok]
    stock_changed = _write_stock(session, ok_records, ids)
    known = set(changed_ids)
    stock_only = [pid for pid in stock_changed if pid not in known]  # rows not rewritten
    changed_ids += stock_only
    if changed_ids:
        products_changed(session, ProductsChanged(
            changed_ids, cache.context, published_ids=[p.id for p in existing.values()],
            value_codes=frozenset(code for record, _, _ in touched for code in record.values),
            search_marked=not stock_only))
    return results


def _expire_loaded(session: Session, product_ids: set[int]) -> None:
    """Keep Product objects the session holds in step with a bulk update of their rows."""
    for state in list(session.identity_map.all_states()):
        if (state.class_ is Product and state.key is not None
                and state.key[1][0] in product_ids):
            obj = state.obj()
            if obj is not None:
                session.expire(obj)


def _load_states(session: Session, products: list) -> dict[str, dict[str, Any]]:
    if not products:
        return {}
    ids = [p.id for p in products]
    categories: dict[int, list[str]] = {i: [] for i in ids}
    for pid, code in session.execute(
        select(ProductCategory.product_id, Category.code)
        .join(Category, Category.id == ProductCategory.category_id)
        .where(ProductCategory.product_id.in_(ids))
    ):
        categories[pid].append(code)
    associations: dict[int, dict[str, list]] = {i: {} for i in ids}
    for pid, type_code, target, quantity in session.execute(
        select(Association.product_id, Association.type_code, Association.target,
               Association.quantity)
        .where(Association.product_id.in_(ids))
        .order_by(Association.type_code, Association.target)
    ):
        associations[pid].setdefault(type_code, []).append({"sku": target, "quantity": quantity})
    parents = dict(session.execute(
        select(ProductModel.id, ProductModel.code).where(
            ProductModel.id.in_({p.parent_id for p in products if p.parent_id}))
    ).all())
    return {
        p.sku: {
            "sku": p.sku,
            "family": p.family_code,
            "parent": parents.get(p.parent_id),
            "enabled": p.enabled,
            "categories": sorted(categories[p.id]),
            "values": p.values or {},
            "associations": associations[p.id],
        }
        for p in products
    }


def _merge(record, old, policy, cache, session, result, replace_values, checked):
    """The product's new state, or the errors that refuse the record.

    ``old`` is never changed: the new state shares its unchanged parts."""
    context = cache.context
    errors: list[dict[str, Any]] = []
    new = {**old, "associations": dict(old["associations"])}
    if record.family is not None:
        if record.family not in cache.family_attributes:
            errors.append({"field": "family", "message": f"family {record.family!r} does not exist"})
        new["family"] = record.family
    if record.parent is not None:
        if record.parent == "":
            new["parent"] = None
        elif cache.model(session, record.parent) is None:
            errors.append({"field": "parent",
                           "message": f"product model {record.parent!r} does not exist"})
        else:
            new["parent"] = record.parent
            if new["family"] is None:
                new["family"] = cache.model(session, record.parent)[1]
    if record.enabled is not None:
        new["enabled"] = record.enabled
    if record.categories is not None:
        unknown = [c for c in record.categories if c not in cache.category_ids]
        if unknown:
            errors.append({"field": "categories",
                           "message": f"unknown categories: {', '.join(unknown)}"})
        new["categories"] = sorted(set(record.categories))
    if record.associations is not None:
        for type_code, links in record.associations.items():
            if type_code not in cache.association_types:
                errors.append({"field": f"associations.{type_code}",
                               "message": f"association type {type_code!r} does not exist"})
                continue
            new["associations"][type_code] = sorted(
                ({"sku": link.sku, "quantity": link.quantity
                  if cache.association_types[type_code] else None} for link in links),
                key=lambda link: link["sku"],
            )
            if not new["associations"][type_code]:
                del new["associations"][type_code]
    if checked is not None and checked.family == new["family"]:
        validated, problems = checked.values, checked.problems
    elif record.values is VALUES_NOT_SENT:  # CheckedRecord: never for a row naming a family
        raise RuntimeError(f"the values of {record.sku!r} were not sent to be checked again")
    else:
        family_attrs = cache.family_attributes.get(new["family"] or "")
        validated, problems = validate_values(
            record.values, context, channels=cache.channels,
            allowed_attributes=family_attrs or None, checks=cache.value_checks)
    errors.extend(p.as_dict() for p in problems)
    clean, ownership_errors, conflicts = _ownership_filter(validated, old["values"], policy,
                                                           context)
    errors.extend(ownership_errors)
    result.conflicts.extend(conflicts)
    new["values"] = normalise_values(merged_values({} if replace_values else old["values"],
                                                    clean))
    return new, errors


def _write_links(session: Session, touched, ids: dict[str, int], cache: CatalogCache, *,
                 stored) -> None:
    """Category links and associations of the changed products (``stored``: the SKUs that
    were stored before this batch; a product created now has no links to replace)."""
    category_rows, association_rows = [], []
    cat_changed, assoc_changed = [], []
    for record, old, new in touched:
        pid = ids[record.sku]
        replaced = record.sku in stored
        if new["categories"] != old["categories"]:
            if replaced:
                cat_changed.append(pid)
            category_rows += [{"product_id": pid, "category_id": cache.category_ids[c]}
                              for c in new["categories"]]
        if new["associations"] != old["associations"]:
            if replaced:
                assoc_changed.append(pid)
            association_rows += [
                {"product_id": pid, "type_code": t, "target": link["sku"],
                 "quantity": link["quantity"]}
                for t, links in new["associations"].items() for link in links
            ]
    if cat_changed:
        session.execute(delete(ProductCategory).where(ProductCategory.product_id.in_(cat_changed)))
    if category_rows:
        insert_many(session, ProductCategory.__table__, category_rows)
    if assoc_changed:
        session.execute(delete(Association).where(Association.product_id.in_(assoc_changed)))
    if association_rows:
        session.execute(insert(Association.__table__), association_rows)


def _write_stock(session: Session, records, ids: dict[str, int]) -> list[int]:
    """Stock is operational data, not content: it changes availability without a new
    product version or a history entry. Returns the products whose stock changed."""
    wanted = {ids[r.sku]: {k: Decimal(v) for k, v in r.stock.items()}
              for r in records if r.stock is not None and r.sku in ids}
    if not wanted:
        return []
    stored: dict[int, dict[str, Decimal]] = {pid: {} for pid in wanted}
    for pid, source, quantity in session.execute(
        select(Stock.product_id, Stock.source, Stock.quantity).where(
            Stock.product_id.in_(list(wanted)))
    ):
        stored[pid][source] = Decimal(quantity)
    changed = [pid for pid, stock in wanted.items() if stock != stored[pid]]
    if changed:
        now = utcnow()
        session.execute(delete(Stock).where(Stock.product_id.in_(changed)))
        session.execute(insert(Stock.__table__), [
            {"product_id": pid, "source": source, "quantity": qty, "updated_at": now}
            for pid in changed for source, qty in wanted[pid].items()
        ])
    return changed
