"""One converter per value column, built once from the header: cell text in, canonical
``data`` out (or a ``CellError``). Building them up front keeps the per-row loop tight."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from importers.cells import (
    CellError,
    parse_amount_with_code,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_identifier,
    plain_decimal,
    resolve_media,
    split_list,
)
from importers.profile import ColumnTransforms
from pim.records import AttributeSpec, CatalogContext

Converter = Callable[[str], Any]


class MissingMedia(CellError):
    """A media reference whose file is not there: a warning, the import goes on."""


def make_value_converter(
    spec: AttributeSpec,
    transforms: ColumnTransforms,
    value_map: dict[str, str],
    media_root: Path | None,
) -> Converter:
    kind = spec.type
    if kind in ("text", "textarea", "reference"):
        trim = transforms.trim
        if value_map:
            return lambda text: value_map.get(text.strip(), text.strip() if trim else text)
        return str.strip if trim else str
    if kind == "identifier":
        return parse_identifier
    if kind == "number":
        decimal_comma = transforms.decimal_comma
        if not decimal_comma:
            return parse_decimal
        return lambda text: parse_decimal(text, decimal_comma=decimal_comma)
    if kind == "boolean":
        if value_map:
            return lambda text: parse_boolean(value_map.get(text.strip(), text))
        return parse_boolean
    if kind == "date":
        formats = tuple(transforms.date_formats)
        if not formats:
            return parse_date
        return lambda text: parse_date(text, formats)
    if kind == "select":
        option_code = _option_resolver(spec, value_map)
        if value_map:
            return lambda text: option_code(text.strip())
        options = spec.options

        def select_code(text: str) -> str:
            code = text.strip()
            return code if code in options else option_code(code)

        return select_code
    if kind == "multiselect":
        option_code = _option_resolver(spec, value_map)
        separator = transforms.list_separator
        if value_map:
            return lambda text: list(dict.fromkeys(
                option_code(item) for item in split_list(text, separator)))
        options = spec.options

        def multiselect_codes(text: str) -> list[str]:
            items = split_list(text, separator)
            for item in items:
                if item not in options:
                    return list(dict.fromkeys(map(option_code, items)))
            return items  # all option codes as given, already without repeats

        return multiselect_codes
    if kind == "media":
        return _media_converter(media_root)
    raise CellError(f"attribute {spec.code!r} has type {kind!r}, which a cell cannot give")


def _option_resolver(spec: AttributeSpec, value_map: dict[str, str]) -> Converter:
    """Option codes as given; else case-insensitively, or by a label, when the catalog knows
    the attribute's options (an unknown option is then a CellError)."""
    options = spec.options
    by_folded: dict[str, str] = {}
    for code, labels in options.items():
        by_folded.setdefault(code.casefold(), code)
        for label in labels.values():
            if label:
                by_folded.setdefault(label.strip().casefold(), code)

    def option_code(text: str) -> str:
        code = value_map.get(text, text)
        if not options or code in options:
            return code
        known = by_folded.get(code.casefold())
        if known is None:
            raise CellError(f"{code!r} is not an option of attribute {spec.code!r}")
        return known

    return option_code


def _media_converter(media_root: Path | None) -> Converter:
    def convert(text: str) -> str:
        reference, warning = resolve_media(text, media_root)
        if warning:
            raise MissingMedia(warning)
        return reference

    return convert


def unit_factors(spec: AttributeSpec, context: CatalogContext) -> dict[str, Decimal]:
    family = context.unit_families.get(spec.unit_family or "")
    return dict(family.units) if family else {}


def convert_measurement(
    amount_text: str,
    unit_text: str,
    *,
    spec: AttributeSpec,
    fixed_unit: str | None,
    convert_to: str | None,
    factors: dict[str, Decimal],
    decimal_comma: bool,
) -> dict[str, str]:
    """``{"amount", "unit"}`` from an amount cell ("1.2" or "1.2 KILOGRAM") and a unit cell."""
    amount, inline_unit = parse_amount_with_code(amount_text, decimal_comma=decimal_comma)
    unit = unit_text.strip() or inline_unit or fixed_unit or spec.default_unit
    if not unit:
        raise CellError(f"no unit for {spec.code!r}: add a {spec.code}-unit column or a unit")
    if factors and unit not in factors:
        folded = {code.casefold(): code for code in factors}
        if unit.casefold() not in folded:
            raise CellError(f"{unit!r} is not a unit of {spec.unit_family!r} "
                            f"(known: {', '.join(sorted(factors))})")
        unit = folded[unit.casefold()]
    if convert_to and convert_to != unit:
        if unit not in factors or convert_to not in factors:
            raise CellError(f"cannot convert {unit!r} to {convert_to!r}: unknown unit factors")
        converted = Decimal(amount) * factors[unit] / factors[convert_to]
        amount, unit = plain_decimal(converted.normalize()), convert_to
    return {"amount": amount, "unit": unit}


def parse_price_list(text: str, *, decimal_comma: bool) -> list[dict[str, str]]:
    """A price cell without a currency column: "12.50 EUR, 14 USD" (";" with decimal commas)."""
    separator = ";" if decimal_comma else ","
    prices = []
    for entry in split_list(text, separator):
        amount, currency = parse_amount_with_code(entry, decimal_comma=decimal_comma)
        if not currency:
            raise CellError(f"{entry!r} names no currency (write e.g. '12.50 EUR')")
        prices.append({"amount": amount, "currency": currency.upper()})
    return prices
