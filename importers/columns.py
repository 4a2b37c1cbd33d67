"""The column convention, read once per file into a plan of what each column holds.

    sku | code            the product's SKU | the product model's code
    family, parent, family_variant, enabled, categories (comma-separated codes)
    <attr>                a value with no locale and no scope
    <attr>-<locale>       for a localizable attribute (locale from the catalog context)
    <attr>-<scope>        for a scopable attribute (scope = a channel code)
    <attr>-<locale>-<scope>
    <attr>-<CURRENCY>     one currency of a price attribute
    <attr>-unit           the unit of a measurement attribute given in <attr>
    <assoc>-products      associated SKUs; "SKU|qty" pairs for quantified associations
    <assoc>-product_models
    <assoc>-products-quantity  quantities in the order of <assoc>-products (Akeneo's layout)
    <assoc>-groups, groups     Akeneo groups: not part of this hub, read and ignored

A header the convention cannot place is a warning naming the column; the column is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from importers.profile import ColumnMapping
from pim.records import AttributeSpec, CatalogContext

FIELD_COLUMNS = frozenset({"sku", "code", "family", "family_variant", "parent", "categories",
                           "enabled"})
IGNORED_COLUMNS = frozenset({"groups"})
ASSOCIATION_TARGETS = ("products", "product_models", "groups")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class ColumnNameError(ValueError):
    """A header the convention cannot place."""


@dataclass(slots=True)
class ColumnTarget:
    """What one column holds."""

    role: str  # field | value | price | amount | unit | association | quantity | ignore
    name: str = ""  # field name, attribute code or association type
    locale: str | None = None
    scope: str | None = None
    currency: str | None = None
    association_target: str | None = None
    spec: AttributeSpec | None = None
    mapping: ColumnMapping | None = None
    extra: dict = field(default_factory=dict)


def parse_column_name(
    header: str, context: CatalogContext, channels: set[str] | frozenset[str]
) -> ColumnTarget:
    name = header.strip()
    lowered = name.lower()
    if lowered in FIELD_COLUMNS:
        return ColumnTarget("field", lowered)
    if lowered in IGNORED_COLUMNS:
        return ColumnTarget("ignore", lowered)
    parts = name.split("-")
    spec = context.attributes.get(parts[0])
    if spec is None:
        association = _parse_association(parts)
        if association:
            return association
        raise ColumnNameError(f"unknown column {name!r}: not an attribute, association or field")
    return _parse_attribute_suffixes(name, spec, parts[1:], context, channels)


def _parse_association(parts: list[str]) -> ColumnTarget | None:
    if len(parts) == 2 and parts[1] in ASSOCIATION_TARGETS:
        role = "ignore" if parts[1] == "groups" else "association"
        return ColumnTarget(role, parts[0], association_target=parts[1])
    if len(parts) == 3 and parts[1] in ASSOCIATION_TARGETS[:2] and parts[2] == "quantity":
        return ColumnTarget("quantity", parts[0], association_target=parts[1])
    return None


def _parse_attribute_suffixes(name, spec, suffixes, context, channels) -> ColumnTarget:
    target = ColumnTarget("value", spec.code, spec=spec)
    if spec.type == "price":
        target.role = "price"
    elif spec.type == "measurement":
        target.role = "amount"
    for part in suffixes:
        if part == "unit" and spec.type == "measurement" and target.role == "amount":
            target.role = "unit"
        elif spec.type == "price" and target.currency is None and (
            part in context.currencies or _CURRENCY.match(part)
        ):
            target.currency = part
        elif spec.localizable and target.locale is None and part in context.locales:
            target.locale = part
        elif spec.scopable and target.scope is None and part in channels:
            target.scope = part
        elif part in context.locales and not spec.localizable:
            raise ColumnNameError(f"column {name!r}: attribute {spec.code!r} is not localizable")
        elif part in channels and not spec.scopable:
            raise ColumnNameError(f"column {name!r}: attribute {spec.code!r} is not scopable")
        else:
            raise ColumnNameError(
                f"column {name!r}: {part!r} is not a known locale, channel"
                + (", currency" if spec.type == "price" else "")
                + (" or 'unit'" if spec.type == "measurement" else "")
                + f" for attribute {spec.code!r}"
            )
    check_locale_and_scope(name, target)
    return target


def check_locale_and_scope(name: str, target: ColumnTarget) -> None:
    spec = target.spec
    if spec is None:  # a field column: nothing to check
        return
    if spec.localizable and target.locale is None:
        raise ColumnNameError(f"column {name!r}: attribute {spec.code!r} is localizable; "
                              f"name the locale, e.g. {spec.code}-en_US")
    if spec.scopable and target.scope is None:
        raise ColumnNameError(f"column {name!r}: attribute {spec.code!r} is scopable; "
                              f"name the channel, e.g. {spec.code}-<channel>")


def target_from_mapping(
    header: str,
    mapping: ColumnMapping,
    context: CatalogContext,
    channels: set[str] | frozenset[str],
) -> ColumnTarget:
    """A profile's explicit mapping of one source column."""
    if mapping.ignore:
        return ColumnTarget("ignore", header, mapping=mapping)
    if mapping.target:
        target = parse_column_name(mapping.target, context, channels)
        target.mapping = mapping
        return target
    if not mapping.attribute:
        raise ColumnNameError(f"profile mapping for {header!r} names no target or attribute")
    spec = context.attributes.get(mapping.attribute)
    if spec is None:
        raise ColumnNameError(f"profile maps {header!r} to unknown attribute {mapping.attribute!r}")
    role = {"price": "price", "measurement": "amount"}.get(spec.type, "value")
    target = ColumnTarget(role, spec.code, locale=mapping.locale, scope=mapping.scope,
                          currency=mapping.currency, spec=spec, mapping=mapping)
    check_locale_and_scope(header, target)
    return target
