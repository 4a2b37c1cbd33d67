"""Catalog structure services: create, update and delete locales, currencies, unit families,
attribute groups, attributes and options, families and variants, categories and association
types; and ``load_context``, the catalog as the pure packages see it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import String, cast, delete, literal, null, select, union_all
from sqlalchemy.orm import Session

from pim.catalog.models import (
    AssociationType,
    Attribute,
    AttributeGroup,
    AttributeOption,
    Category,
    Currency,
    Family,
    FamilyVariant,
    Locale,
    UnitFamily,
)
from pim.catalog.schemas import STRUCTURE_MODELS
from pim.catalog.usage import refuse_if_used
from pim.db import affected
from pim.errors import Conflict, Invalid, NotFound
from pim.records import (
    AttributeSpec,
    CatalogContext,
    CategorySpec,
    FamilySpec,
    FamilyVariantSpec,
    UnitFamilySpec,
)


def parse_structure(kind: str, code: str, data: dict[str, Any]):
    model = STRUCTURE_MODELS.get(kind)
    if model is None:
        raise Invalid(f"unknown structure kind {kind!r}")
    try:
        return model.model_validate({"code": code, **data})
    except ValidationError as error:
        raise Invalid.from_pydantic(error, prefix=f"{kind} {code!r}") from None


def apply_structure(session: Session, kind: str, code: str, data: dict[str, Any]) -> bool:
    """Create or update one structure entity; return True when something changed."""
    item = parse_structure(kind, code, data)
    return APPLIERS[kind](session, item)


def _upsert(session: Session, model, key, fields: dict[str, Any]) -> bool:
    row = session.get(model, key)
    if row is None:
        session.add(model(**fields))
        session.flush()
        return True
    changed = False
    for name, value in fields.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _apply_locale(session, item) -> bool:
    return _upsert(session, Locale, item.code, item.model_dump())


def _apply_currency(session, item) -> bool:
    return _upsert(session, Currency, item.code, item.model_dump())


def _apply_unit_family(session, item) -> bool:
    if item.standard_unit not in item.units:
        raise Invalid(f"unit family {item.code}: standard unit {item.standard_unit} not listed")
    units = {code: unit.model_dump() for code, unit in item.units.items()}
    for code, unit in units.items():
        try:
            Decimal(unit["factor"])
        except Exception:
            raise Invalid(f"unit family {item.code}: unit {code} factor is not a number") from None
    fields = {"code": item.code, "standard_unit": item.standard_unit, "units": units,
              "labels": item.labels}
    return _upsert(session, UnitFamily, item.code, fields)


def _apply_attribute_group(session, item) -> bool:
    return _upsert(session, AttributeGroup, item.code, item.model_dump())


def _apply_attribute(session, item) -> bool:
    existing = session.get(Attribute, item.code)
    if existing is not None and existing.type != item.type:
        raise Conflict(f"attribute {item.code}: type {existing.type} cannot become {item.type}")
    if item.group and session.get(AttributeGroup, item.group) is None:
        session.add(AttributeGroup(code=item.group, labels={}))
        session.flush()
    if item.type == "measurement" and not item.unit_family:
        raise Invalid(f"attribute {item.code}: a measurement needs a unit_family")
    if item.unit_family:  # any type: the column references the unit families
        family = session.get(UnitFamily, item.unit_family)
        if family is None:
            raise Invalid(f"attribute {item.code}: unknown unit family {item.unit_family}")
        if item.default_unit and item.default_unit not in family.units:
            raise Invalid(f"attribute {item.code}: unit {item.default_unit} not in {family.code}")
    fields = item.model_dump(exclude={"group", "validation"})
    fields["group_code"] = item.group
    fields["validation"] = item.validation.model_dump(exclude_none=True)
    return _upsert(session, Attribute, item.code, fields)


def _apply_attribute_option(session, item) -> bool:
    attribute = session.get(Attribute, item.attribute)
    if attribute is None:
        raise NotFound(f"attribute {item.attribute!r} does not exist")
    if attribute.type not in ("select", "multiselect"):
        raise Invalid(f"attribute {item.attribute} is a {attribute.type}: it has no options")
    row = session.scalar(
        select(AttributeOption).where(
            AttributeOption.attribute_code == item.attribute, AttributeOption.code == item.code
        )
    )
    if row is None:
        session.add(AttributeOption(attribute_code=item.attribute, code=item.code,
                                    labels=item.labels, sort_order=item.sort_order))
        session.flush()
        return True
    changed = (row.labels, row.sort_order) != (item.labels, item.sort_order)
    row.labels, row.sort_order = item.labels, item.sort_order
    return changed


def _require_attributes(session, codes, where: str) -> None:
    if not codes:
        return
    known = set(session.scalars(select(Attribute.code).where(Attribute.code.in_(set(codes)))))
    missing = sorted(set(codes) - known)
    if missing:
        raise Invalid(f"{where}: unknown attributes {', '.join(missing)}")


def _apply_family(session, item) -> bool:
    _require_attributes(session, item.attributes, f"family {item.code}")
    for channel, codes in item.requirements.items():
        _require_attributes(session, codes, f"family {item.code} requirements for {channel}")
    return _upsert(session, Family, item.code, item.model_dump())


def _apply_family_variant(session, item) -> bool:
    family = session.get(Family, item.family)
    if family is None:
        raise NotFound(f"family {item.family!r} does not exist")
    for axis in (a for level in item.axes for a in level):
        attribute = session.get(Attribute, axis)
        if attribute is None:
            raise Invalid(f"family variant {item.code}: unknown axis attribute {axis}")
        if attribute.type not in ("select", "boolean", "measurement", "reference", "text"):
            raise Invalid(f"family variant {item.code}: {axis} ({attribute.type}) can't be an axis")
    fields = item.model_dump(exclude={"family"})
    fields["family_code"] = item.family
    return _upsert(session, FamilyVariant, item.code, fields)


def _apply_category(session, item) -> bool:
    row = session.scalar(select(Category).where(Category.code == item.code))
    parent = None
    if item.parent:
        parent = session.scalar(select(Category).where(Category.code == item.parent))
        if parent is None:
            raise NotFound(f"category {item.code}: parent {item.parent!r} does not exist")
        if row is not None and f"/{row.id}/" in parent.path:
            raise Invalid(f"category {item.code}: moving it under {item.parent} makes a cycle")
    if row is None:
        row = Category(code=item.code, labels=item.labels, position=item.position,
                       parent_id=parent.id if parent else None)
        session.add(row)
        session.flush()
        row.path = (parent.path if parent else "/") + f"{row.id}/"
        return True
    new_parent_id = parent.id if parent else None
    changed = (row.labels, row.position, row.parent_id) != (item.labels, item.position,
                                                           new_parent_id)
    row.labels, row.position = item.labels, item.position
    if row.parent_id != new_parent_id:
        old_path = row.path
        row.parent_id = new_parent_id
        row.path = (parent.path if parent else "/") + f"{row.id}/"
        for child in session.scalars(select(Category).where(Category.path.like(old_path + "%"))):
            if child.id != row.id:
                child.path = row.path + child.path[len(old_path):]
    return changed


def _apply_association_type(session, item) -> bool:
    return _upsert(session, AssociationType, item.code, item.model_dump())


APPLIERS = {
    "locale": _apply_locale,
    "currency": _apply_currency,
    "unit_family": _apply_unit_family,
    "attribute_group": _apply_attribute_group,
    "attribute": _apply_attribute,
    "attribute_option": _apply_attribute_option,
    "family": _apply_family,
    "family_variant": _apply_family_variant,
    "category": _apply_category,
    "association_type": _apply_association_type,
}

STRUCTURE_KINDS = frozenset(APPLIERS)

DELETABLE = {
    "locale": Locale,
    "currency": Currency,
    "unit_family": UnitFamily,
    "attribute_group": AttributeGroup,
    "attribute": Attribute,
    "family": Family,
    "family_variant": FamilyVariant,
    "association_type": AssociationType,
}


def delete_structure(session: Session, kind: str, code: str, *, attribute: str | None = None):
    """Delete one structure entity; refuse (Conflict, naming the users) while anything still
    uses it: products, models, families, variants, child categories (``usage``)."""
    refuse_if_used(session, kind, code, attribute=attribute)
    if kind == "attribute_option":
        result = session.execute(delete(AttributeOption).where(
            AttributeOption.attribute_code == attribute, AttributeOption.code == code))
        if not affected(result):
            raise NotFound(f"option {code!r} of {attribute!r} does not exist")
        return
    if kind == "category":
        row = session.scalar(select(Category).where(Category.code == code))
        if row is None:
            raise NotFound(f"category {code!r} does not exist")
        session.delete(row)
        return
    model = DELETABLE.get(kind)
    if model is None:
        raise Invalid(f"unknown structure kind {kind!r}")
    entity = session.get(model, code)
    if entity is None:
        raise NotFound(f"{kind} {code!r} does not exist")
    session.delete(entity)
    session.flush()


def load_context(session: Session) -> CatalogContext:
    """The catalog's structure as plain data, in a handful of queries.

    Plain column rows, never ORM objects: every write and every editor page loads it, and
    building mapped objects for each attribute, option and category cost about twice the
    queries themselves."""
    options: dict[str, dict[str, dict[str, str]]] = {}
    for attribute_code, code, labels in session.execute(
        select(AttributeOption.attribute_code, AttributeOption.code, AttributeOption.labels)
        .order_by(AttributeOption.sort_order, AttributeOption.id)
    ):
        options.setdefault(attribute_code, {})[code] = labels or {}
    a = Attribute
    attributes = {
        code: AttributeSpec(
            code=code, type=kind, localizable=localizable, scopable=scopable, owner=owner,
            group=group, labels=labels or {}, unit_family=unit_family,
            default_unit=default_unit, validation=validation or {},
            options=options.get(code, {}), unique=unique,
        )
        for (code, kind, localizable, scopable, owner, group, labels, unit_family,
             default_unit, validation, unique) in session.execute(
            select(a.code, a.type, a.localizable, a.scopable, a.owner, a.group_code, a.labels,
                   a.unit_family, a.default_unit, a.validation, a.unique)
            .order_by(a.sort_order, a.code))
    }
    category_rows = session.execute(
        select(Category.id, Category.code, Category.parent_id, Category.labels)
        .order_by(Category.position, Category.id)).all()
    id_to_code = {row[0]: row[1] for row in category_rows}
    categories = {
        code: CategorySpec(code, id_to_code.get(parent_id) if parent_id else None,
                           labels or {})
        for _, code, parent_id, labels in category_rows
    }
    families = {
        code: FamilySpec(code, list(attrs or []), labels or {}, label_attribute,
                         image_attribute, dict(requirements or {}))
        for code, attrs, labels, label_attribute, image_attribute, requirements
        in session.execute(select(Family.code, Family.attributes, Family.labels,
                                  Family.label_attribute, Family.image_attribute,
                                  Family.requirements))
    }
    family_variants = {
        code: FamilyVariantSpec(code, family, list(axes or []), list(levels or []),
                                labels or {})
        for code, family, axes, levels, labels in session.execute(
            select(FamilyVariant.code, FamilyVariant.family_code, FamilyVariant.axes,
                   FamilyVariant.level_attributes, FamilyVariant.labels))
    }
    unit_families = {
        code: UnitFamilySpec(
            code, standard_unit,
            {unit: Decimal(str(spec.get("factor", "1"))) for unit, spec in units.items()},
            {unit: spec.get("symbol", "") for unit, spec in units.items()},
        )
        for code, standard_unit, units in session.execute(
            select(UnitFamily.code, UnitFamily.standard_unit, UnitFamily.units))
    }
    return CatalogContext(
        attributes=attributes,
        categories=categories,
        families=families,
        family_variants=family_variants,
        unit_families=unit_families,
        locales=list(session.scalars(select(Locale.code).where(Locale.enabled))),
        currencies=list(session.scalars(select(Currency.code).where(Currency.enabled))),
        association_types=list(session.scalars(select(AssociationType.code)
                                               .order_by(AssociationType.code))),
    )

# Every table load_context reads (and the attribute groups), each row as text.
_STRUCTURE_TABLES = [model.__table__ for model in (
    Locale, Currency, UnitFamily, AttributeGroup, Attribute, AttributeOption, Family,
    FamilyVariant, Category, AssociationType)]
_WIDEST = max(len(table.c) for table in _STRUCTURE_TABLES)
_STRUCTURE_ROWS = union_all(*(
    select(literal(table.name, String), *(cast(column, String) for column in table.c),
           *([cast(null(), String)] * (_WIDEST - len(table.c))))
    for table in _STRUCTURE_TABLES))
_SHARED_CONTEXTS: dict[frozenset[tuple[str | None, ...]], CatalogContext] = {}


def shared_context(session: Session) -> CatalogContext:
    """``load_context``, shared: while the structure's rows are the same, every caller
    gets the same ``CatalogContext``, which it reads and never changes.

    One statement reads every structure row as text; the set of them names the context, so
    a change made anywhere (another process, a database replaced under a test) is seen by
    the next call, and only a change costs the whole read again. Hot reads use it (the
    editor's pages: the structure was 9 of their 31 statements). The rows themselves are
    the key (each carries its table and primary key, so none repeats): equal keys are equal
    structures, and hashing them is cheaper than sorting and digesting their text."""
    rows = frozenset(tuple(row) for row in session.execute(_STRUCTURE_ROWS))
    context = _SHARED_CONTEXTS.get(rows)
    if context is None:
        context = load_context(session)
        if len(_SHARED_CONTEXTS) >= 8:
            _SHARED_CONTEXTS.clear()
            _SHARED_GROUPS.clear()
        _SHARED_CONTEXTS[rows] = context
        _SHARED_GROUPS[id(context)] = (context, attribute_groups(session))
    return context


# id of a shared context -> (the context, the attribute groups read with it)
_SHARED_GROUPS: dict[int, tuple[CatalogContext, list[dict[str, Any]]]] = {}


def attribute_groups_with(session: Session, context: CatalogContext) -> list[dict[str, Any]]:
    """``attribute_groups`` as they were when ``shared_context`` built ``context`` (its
    rows include the groups'): no statement for a shared context, a read for another."""
    shared = _SHARED_GROUPS.get(id(context))
    if shared is not None and shared[0] is context:
        return shared[1]
    return attribute_groups(session)


def attribute_groups(session: Session) -> list[dict[str, Any]]:
    """Every attribute group in display order: code, labels, sort order."""
    return [{"code": g.code, "labels": g.labels or {}, "sort_order": g.sort_order}
            for g in session.scalars(select(AttributeGroup)
                                     .order_by(AttributeGroup.sort_order, AttributeGroup.code))]
