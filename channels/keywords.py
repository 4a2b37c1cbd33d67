"""Channel rules JSON Schema cannot express, as custom keywords and a ``gtin`` format.

Each rule is written once, as a plain function ``(config, instance) -> message | None``,
and registered with both engines through their extension APIs:

* ``jsonschema``: :data:`ChannelSchemaValidator` is ``Draft202012Validator`` extended with
  the keywords (``jsonschema.validators.extend``), validated with :data:`FORMAT_CHECKER`.
  It is the reference implementation and the fallback.
* ``jsonschema_rs`` (Rust, ~25x faster on a variant): the same functions wrapped in the
  keyword classes it accepts (``keywords=``) and the same format function (``formats=``).

Keywords (all read amounts as Decimal and compare only same-currency prices):

``x-lessThanField: {"field": "sale_price", "than": "price"}``
    on an object: ``field.amount < than.amount`` when both are present.
``x-priceAtLeast: {"field": "price", "atLeast": "map_price"}``
    on an object: the advertised ``field`` is not below the minimum advertised price.
``x-ascendingBy: {"key": "min_quantity"}``
    on an array of objects: ``key`` strictly ascending (quantity tiers).

And the standard ``pattern`` (and, on the reference engine, ``patternProperties``) run on
RE2 (:mod:`channels.patterns`) in both engines, never on a backtracking regex engine.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import re2
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators

from channels.patterns import pattern_matcher
from pim.records import is_gtin as gs1_gtin


def is_gtin(value: object) -> bool:
    """GTIN-8/12/13/14 digits with a valid GS1 mod-10 check digit. Non-strings pass, as
    ``format`` only constrains strings."""
    if not isinstance(value, str):
        return True
    return gs1_gtin(value)


def _amount(money: Any) -> tuple[Decimal, str | None] | None:
    if not isinstance(money, dict):
        return None
    try:
        amount = Decimal(str(money.get("amount")))
    except (InvalidOperation, ValueError):
        return None  # a malformed amount is the pattern keyword's to report
    if not amount.is_finite():
        return None
    return amount, money.get("currency")


def less_than_field(config: dict[str, str], instance: Any) -> str | None:
    if not isinstance(instance, dict):
        return None
    field, other = config["field"], config["than"]
    left, right = _amount(instance.get(field)), _amount(instance.get(other))
    if left is None or right is None or left[1] != right[1]:
        return None
    if left[0] < right[0]:
        return None
    return f"{field} ({left[0]} {left[1]}) must be less than {other} ({right[0]} {right[1]})"


def price_at_least(config: dict[str, str], instance: Any) -> str | None:
    if not isinstance(instance, dict):
        return None
    field, floor_field = config["field"], config["atLeast"]
    price, floor = _amount(instance.get(field)), _amount(instance.get(floor_field))
    if price is None or floor is None or price[1] != floor[1]:
        return None
    if price[0] >= floor[0]:
        return None
    return (
        f"{field} ({price[0]} {price[1]}) is below the minimum advertised price "
        f"{floor_field} ({floor[0]} {floor[1]})"
    )


def ascending_by(config: dict[str, str], instance: Any) -> str | None:
    if not isinstance(instance, list):
        return None
    key = config["key"]
    previous = None
    for position, item in enumerate(instance):
        value = item.get(key) if isinstance(item, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue  # the item schema reports a missing or non-numeric key
        if previous is not None and value <= previous:
            return f"item {position}: {key} {value} does not ascend (previous {previous})"
        previous = value
    return None


Rule = Callable[[Any, Any], str | None]

RULES: dict[str, Rule] = {
    "x-lessThanField": less_than_field,
    "x-priceAtLeast": price_at_least,
    "x-ascendingBy": ascending_by,
}


# --- jsonschema (reference engine).


def _jsonschema_keyword(rule: Rule):
    def keyword(validator, config, instance, schema):
        message = rule(config, instance)
        if message:
            # Point at the offending field, not the object holding it, so the error maps
            # back to one attribute.
            field = config.get("field")
            yield ValidationError(message, path=[field] if field else ())

    return keyword


def _required_pointing_at_the_missing_field(validator, required, instance, schema):
    """Draft 2020-12 ``required``, but each error's path names the missing property (the
    stock keyword leaves it only in the message)."""
    if not validator.is_type(instance, "object"):
        return
    for name in required:
        if name not in instance:
            yield ValidationError(f"{name!r} is a required property", path=[name])


def _re2_pattern(validator, pattern, instance, schema):
    """Draft 2020-12 ``pattern`` on RE2."""
    if validator.is_type(instance, "string") and not pattern_matcher(pattern)(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _re2_pattern_properties(validator, patterns, instance, schema):
    """Draft 2020-12 ``patternProperties``, its names matched on RE2."""
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in patterns.items():
        matches = pattern_matcher(pattern)
        for name, value in instance.items():
            if matches(name):
                yield from validator.descend(value, subschema, path=name, schema_path=pattern)


ChannelSchemaValidator = validators.extend(
    Draft202012Validator,
    validators={
        **{name: _jsonschema_keyword(rule) for name, rule in RULES.items()},
        "required": _required_pointing_at_the_missing_field,
        "pattern": _re2_pattern,
        "patternProperties": _re2_pattern_properties,
    },
)

FORMAT_CHECKER = FormatChecker()
FORMAT_CHECKER.checks("gtin")(is_gtin)

# Checking a schema against the metaschema: its patterns (format "regex") are RE2's, as they
# run (Python's re would refuse ``\pL``, which RE2 takes).
METASCHEMA_FORMAT_CHECKER = FormatChecker()


@METASCHEMA_FORMAT_CHECKER.checks("regex", raises=re2.error)
def _re2_regex(value: object) -> bool:
    if isinstance(value, str):
        pattern_matcher(value)
    return True


# --- jsonschema_rs (fast engine), when installed.


def _rs_keyword(rule: Rule) -> type:
    class Keyword:
        __slots__ = ("config",)

        def __init__(self, parent_schema: dict, config: Any, schema_path: list) -> None:
            self.config = config

        def validate(self, instance: Any) -> None:
            message = rule(self.config, instance)
            if message:
                raise ValueError(message)

    return Keyword


class _Re2Pattern:
    """``pattern`` for jsonschema_rs, on RE2 instead of its own regex engine."""

    __slots__ = ("matches", "pattern")

    def __init__(self, parent_schema: dict, pattern: str, schema_path: list) -> None:
        self.pattern = pattern
        self.matches = pattern_matcher(pattern)

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not self.matches(instance):
            raise ValueError(f"{instance!r} does not match {self.pattern!r}")


RS_KEYWORDS = {**{name: _rs_keyword(rule) for name, rule in RULES.items()},
               "pattern": _Re2Pattern}
RS_FORMATS = {"gtin": is_gtin}
