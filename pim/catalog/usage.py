"""What still uses a structure entity, so that deleting it is refused (409) instead of
leaving families, variants and values that point at nothing.

``refuse_if_used`` names each kind of user with its count and a few codes: "still used by
1,000 products (EL-1, EL-2, EL-3, ...) and 1 family (electronics)". Values are found
by a text pre-filter on the stored JSON (the code as a JSON string), then checked exactly
in Python on those candidates only, so the check is one indexed-free scan, not a load of
the catalog. Users the catalog does not own (channel definitions naming a family, category,
attribute, locale or currency) are answered by the slices that own them, through
``listeners.structure_users``, and named the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import String, cast, func, select
from sqlalchemy.orm import Session

from pim.catalog.listeners import structure_users
from pim.catalog.models import (
    Category,
    Family,
    FamilyVariant,
    Product,
    ProductCategory,
    ProductModel,
)
from pim.errors import Conflict, error_item

SHOWN = 3  # codes named per kind of user
CANDIDATES = 50_000  # value rows read at most to check them exactly

# (what, how many, a few codes[, more not checked]): with the last flag set, more rows than
# CANDIDATES mention the code and only the first were checked one by one.
Uses = list[tuple]


def refuse_if_used(session: Session, kind: str, code: str, *,
                   attribute: str | None = None) -> None:
    """Raise Conflict naming what uses the entity, in the catalog or in a slice above it
    (``structure_users``); nothing when it is unused."""
    finder = _FINDERS.get(kind)
    found = finder(session, code, attribute) if finder else []
    found += [use for uses in structure_users(session, kind, code, attribute) for use in uses]
    uses = [use for use in found if use[1] or use[3:4] == (True,)]
    if not uses:
        return
    what = f"option {code!r} of {attribute!r}" if kind == "attribute_option" else \
        f"{kind.replace('_', ' ')} {code!r}"
    parts = [_part(*use) for use in uses]
    raise Conflict(f"{what} is still used by {' and '.join(parts)}: nothing was deleted",
                   errors=[error_item(None, f"used by {part}") for part in parts])


def _part(name: str, count: int, codes: list[str], unchecked: bool = False) -> str:
    if unchecked and not count:
        # Too many rows mention the code to check each within one request: refuse rather
        # than delete what may still be used.
        return f"possibly more than {CANDIDATES:,} {_plural(name)} (too many to check)"
    shown = f"{', '.join(codes)}{', ...' if count > len(codes) or unchecked else ''}"
    number = f"at least {count:,}" if unchecked else f"{count:,}"
    return f"{number} {name if count == 1 and not unchecked else _plural(name)} ({shown})"


def _plural(name: str) -> str:
    return name[:-1] + "ies" if name.endswith("y") else name + "s"


def _counted(session: Session, codes_query, count_query) -> tuple[int, list[str]]:
    count = session.scalar(count_query) or 0
    return count, list(session.scalars(codes_query.limit(SHOWN))) if count else []


def _rows_using(session: Session, code_column, values_column, needle: str,
                matches: Callable[[dict[str, Any]], bool]) -> tuple[int, list[str], bool]:
    """Rows whose stored values contain ``needle`` (pre-filter) and pass ``matches``, and
    whether more rows than CANDIDATES mention it (those past it are not checked)."""
    query = (select(code_column, values_column)
             .where(cast(values_column, String).contains(needle))
             .order_by(code_column).limit(CANDIDATES + 1))
    rows = session.execute(query).all()
    hits = [code for code, values in rows[:CANDIDATES] if matches(values or {})]
    return len(hits), hits[:SHOWN], len(rows) > CANDIDATES


def _value_users(session: Session, needle: str, matches: Callable[[dict[str, Any]], bool],
                 ) -> Uses:
    products = _rows_using(session, Product.sku, Product.values, needle, matches)
    models = _rows_using(session, ProductModel.code, ProductModel.values, needle, matches)
    return [("product", *products), ("product model", *models)]


def _entries(values: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for entries in values.values():
        yield from entries or ()


def _attribute_users(session: Session, code: str, _: str | None) -> Uses:
    families = [f for f, attrs, label, image in session.execute(
        select(Family.code, Family.attributes, Family.label_attribute, Family.image_attribute))
        if code in (attrs or ()) or code in (label, image)]
    variants = [v for v, axes, levels in session.execute(
        select(FamilyVariant.code, FamilyVariant.axes, FamilyVariant.level_attributes))
        if any(code in (level or ()) for level in [*(axes or ()), *(levels or ())])]
    return [*_value_users(session, f'"{code}"', lambda values: code in values),
            ("family", len(families), sorted(families)[:SHOWN]),
            ("family variant", len(variants), sorted(variants)[:SHOWN])]


def _option_users(session: Session, code: str, attribute: str | None) -> Uses:
    def matches(values: dict[str, Any]) -> bool:
        for entry in values.get(attribute or "") or ():
            data = entry.get("data")
            if data == code or (isinstance(data, list) and code in data):
                return True
        return False

    return _value_users(session, f'"{code}"', matches)


def _family_users(session: Session, code: str, _: str | None) -> Uses:
    return [
        ("product", *_counted(session, select(Product.sku).where(Product.family_code == code)
                              .order_by(Product.sku),
                              select(func.count()).where(Product.family_code == code))),
        ("product model", *_counted(
            session, select(ProductModel.code).where(ProductModel.family_code == code)
            .order_by(ProductModel.code),
            select(func.count()).where(ProductModel.family_code == code))),
        ("family variant", *_counted(
            session, select(FamilyVariant.code).where(FamilyVariant.family_code == code)
            .order_by(FamilyVariant.code),
            select(func.count()).where(FamilyVariant.family_code == code))),
    ]


def _family_variant_users(session: Session, code: str, _: str | None) -> Uses:
    return [("product model", *_counted(
        session, select(ProductModel.code).where(ProductModel.family_variant_code == code)
        .order_by(ProductModel.code),
        select(func.count()).where(ProductModel.family_variant_code == code)))]


def _category_users(session: Session, code: str, _: str | None) -> Uses:
    category_id = session.scalar(select(Category.id).where(Category.code == code))
    if category_id is None:
        return []
    linked = (select(Product.sku).join(ProductCategory, ProductCategory.product_id == Product.id)
              .where(ProductCategory.category_id == category_id))
    children = select(Category.code).where(Category.parent_id == category_id)
    models = _rows_using(session, ProductModel.code, ProductModel.categories, f'"{code}"',
                         lambda categories: code in categories)
    return [
        ("product", *_counted(session, linked.order_by(Product.sku),
                              select(func.count()).select_from(linked.subquery()))),
        ("product model", *models),
        ("child category", *_counted(session, children.order_by(Category.code),
                                     select(func.count()).select_from(children.subquery()))),
    ]


def _locale_users(session: Session, code: str, _: str | None) -> Uses:
    return _value_users(session, f'"{code}"', lambda values: any(
        entry.get("locale") == code for entry in _entries(values)))


def _currency_users(session: Session, code: str, _: str | None) -> Uses:
    def matches(values: dict[str, Any]) -> bool:
        for entry in _entries(values):
            data = entry.get("data")
            if isinstance(data, list) and any(
                    isinstance(item, dict) and item.get("currency") == code for item in data):
                return True
        return False

    return _value_users(session, f'"{code}"', matches)


_FINDERS: dict[str, Callable[[Session, str, str | None], Uses]] = {
    "attribute": _attribute_users,
    "attribute_option": _option_users,
    "family": _family_users,
    "family_variant": _family_variant_users,
    "category": _category_users,
    "locale": _locale_users,
    "currency": _currency_users,
}
